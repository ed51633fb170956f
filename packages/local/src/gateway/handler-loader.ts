/**
 * Loads the handler a declaration names, the same module the cloud bundles: SST's handler
 * string `packages/functions/src/x/y.handler` is the file `packages/functions/src/x/y.ts`,
 * export `handler`. Each module is imported once per process, like a warm Lambda.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runInInitContext } from "../logs/log-capture.js";

export type LambdaHandler = (event: unknown, context: unknown, callback: (error?: unknown, result?: unknown) => void) => unknown;

export interface HandlerLocation {
  readonly file: string;
  readonly exportName: string;
}

const sourceExtensions = [".ts", ".mts", ".js", ".mjs"];

export function locateHandler(handler: string, root: string): HandlerLocation {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0 || dot === handler.length - 1) {
    throw new Error(`Handler "${handler}" is not "<path without extension>.<export>"`);
  }
  const modulePath = path.resolve(root, handler.slice(0, dot));
  const file = sourceExtensions.map((extension) => modulePath + extension).find((candidate) => existsSync(candidate));
  if (!file) throw new Error(`Handler "${handler}": no ${modulePath}{${sourceExtensions.join(",")}}`);
  return { file, exportName: handler.slice(dot + 1) };
}

export function createHandlerLoader(root: string): (handler: string) => Promise<LambdaHandler> {
  const loaded = new Map<string, Promise<LambdaHandler>>();
  return (handler) => {
    let pending = loaded.get(handler);
    if (!pending) {
      pending = importHandler(handler, root);
      // A module that failed to load (e.g. a syntax error being fixed) is retried next time.
      pending.catch(() => loaded.delete(handler));
      loaded.set(handler, pending);
    }
    return pending;
  };
}

async function importHandler(handler: string, root: string): Promise<LambdaHandler> {
  const { file, exportName } = locateHandler(handler, root);
  const module = (await runInInitContext(() => import(pathToFileURL(file).href))) as Record<string, unknown>;
  const exported = module[exportName];
  if (typeof exported !== "function") throw new Error(`${file} has no exported function "${exportName}"`);
  return exported as LambdaHandler;
}

/**
 * Calls a handler as the Node.js runtime does: an async handler's promise, or a
 * callback-style handler's callback, whichever settles first.
 */
export function invokeHandler(handler: LambdaHandler, event: unknown, context: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error?: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (isPromiseLike(returned)) returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
