/**
 * Synthesizes the real SST app (sst.config.ts: its defaults, removal policy and stacks) offline,
 * once per test file. SST keeps the app in module-level state and throws on duplicate construct ids
 * if the same app is synthesized twice, so every test in a file shares one synthesis; a file that
 * needs another stage runs in its own worker. Files that synthesize must not run in parallel:
 * they share `.sst/artifacts`.
 */
import { Aspects } from "aws-cdk-lib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import type { CloudAssembly } from "aws-cdk-lib/cx-api";
import { AwsSolutionsChecks } from "cdk-nag";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import { afterAll, beforeAll } from "vitest";
import { httpApis } from "../../../packages/functions/src/declarations.js";
import config from "../../../sst.config.js";

/** A stack function of the app, e.g. `Data`. */
export type StackFunction = Parameters<typeof getStack>[0];

export const testAccount = "123456789012";
export const testRegion = "us-east-1";

export interface SynthesisOptions {
  /** Defaults to `test`. */
  readonly stage?: string;
  /** Adds cdk-nag's AwsSolutions pack before synthesis; its findings land in the assembly's messages. */
  readonly nagChecks?: boolean;
}

export interface SynthesizedApp {
  readonly app: App;
  readonly assembly: CloudAssembly;
  /** The CloudFormation template of one of the app's stacks. */
  template(stack: StackFunction): Template;
  /** Every stack's template, by stack name. */
  templates(): ReadonlyMap<string, Template>;
}

let synthesis: { readonly key: string; readonly app: Promise<SynthesizedApp> } | undefined;

// Tens of megabytes of bundles per synthesis: keep them only while the importing test file runs.
// Registered on import, so it joins that file's root suite.
const assemblyDirectories: string[] = [];
afterAll(() => {
  for (const directory of assemblyDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

export function synthesizeApp(options: SynthesisOptions = {}): Promise<SynthesizedApp> {
  const stage = options.stage ?? "test";
  const nagChecks = options.nagChecks ?? false;
  const key = JSON.stringify({ stage, nagChecks });
  if (synthesis && synthesis.key !== key) {
    throw new Error(`This test file already synthesized ${synthesis.key}; SST allows one app per process, put ${key} in its own file`);
  }
  synthesis ??= { key, app: synthesizeOnce(stage, nagChecks) };
  return synthesis.app;
}

async function synthesizeOnce(stage: string, nagChecks: boolean): Promise<SynthesizedApp> {
  process.env.SST_TELEMETRY_DISABLED = "1";
  // An explicit stage: without one SST asks for a personal stage on stdin and waits forever.
  await initProject({ stage, region: testRegion });
  const { name, region } = await config.config({ stage, region: testRegion });
  const outdir = mkdtempSync(path.join(tmpdir(), "haul-synth-"));
  assemblyDirectories.push(outdir);
  const app = new App({ mode: "deploy", stage, name, region: region ?? testRegion, account: testAccount }, { outdir });
  await config.stacks(app);
  // Runs the deferred work (esbuild bundles every function); without it functions hold placeholder code.
  await app.finish();
  if (nagChecks) Aspects.of(app).add(new AwsSolutionsChecks({ reports: false, logIgnores: true }));
  // Synthesize once here; Template.fromStack reuses this assembly instead of synthesizing again.
  const assembly = app.synth();
  return {
    app,
    assembly,
    template: (stack) => Template.fromStack(getStack(stack)),
    templates: () => new Map(assembly.stacks.map((artifact) => [artifact.stackName, Template.fromJSON(artifact.template)])),
  };
}

/** The app with the templates of the stacks a test file reads, by the names it gave them. */
export type SynthesizedStacks<Name extends string> = SynthesizedApp & { readonly [Key in Name]: Template };

const appMembers: ReadonlySet<string> = new Set(["app", "assembly", "template", "templates"]);

/**
 * Synthesizes the app as stage `test` in a beforeAll of the calling test file, and gives the
 * synthesized app and the templates of `stacks` by the names given, e.g.
 * `const synthesized = synthesizeBeforeAll({ live: LiveApi })`, then `synthesized.live` in tests.
 * Read them inside tests and hooks only: before the beforeAll has run there is nothing to read.
 */
export function synthesizeBeforeAll<const Stacks extends Record<string, StackFunction>>(stacks: Stacks): SynthesizedStacks<keyof Stacks & string> {
  for (const name of Object.keys(stacks)) if (appMembers.has(name)) throw new Error(`Name the ${name} stack otherwise: synthesized.${name} is the app's`);
  let synthesized: SynthesizedApp | undefined;
  const templates = new Map<string, Template>();
  beforeAll(async () => {
    synthesized = await synthesizeApp({ stage: "test" });
    for (const [name, stack] of Object.entries(stacks)) templates.set(name, synthesized.template(stack));
    // Bundling every function takes minutes on a busy 2-core machine.
  }, 300_000);
  const ready = (): SynthesizedApp => {
    if (!synthesized) throw new Error("The app is synthesized in beforeAll: read it inside tests");
    return synthesized;
  };
  const view = {
    get app() {
      return ready().app;
    },
    get assembly() {
      return ready().assembly;
    },
    template: (stack: StackFunction) => ready().template(stack),
    templates: () => ready().templates(),
  };
  for (const name of Object.keys(stacks)) {
    Object.defineProperty(view, name, { enumerable: true, get: () => (ready(), templates.get(name)) });
  }
  return view as SynthesizedStacks<keyof Stacks & string>;
}

/** The route keys (`GET /health`, ...) of the one HTTP API in a stack's template, sorted. */
export function listHttpApiRouteKeys(template: Template): string[] {
  const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route"));
  return routes.map((route) => String(route.Properties.RouteKey)).sort();
}

/**
 * The route keys each declared HTTP API has once synthesized, by API name (e.g. `ReservationApi`):
 * what the cloud will serve, to compare with what the local gateway serves.
 */
export async function synthesizedHttpApiRouteKeys(): Promise<Record<string, string[]>> {
  const { assembly } = await synthesizeApp();
  const byApi: Record<string, string[]> = {};
  for (const api of httpApis) {
    // Each HTTP API has a stack of its own (`<stage>-haul-<name>`, or the service's, e.g. Tracking), the one that outputs `<name>Url`.
    const artifacts = assembly.stacks.filter((artifact) => Object.keys((artifact.template as { Outputs?: object }).Outputs ?? {}).includes(`${api.name}Url`));
    if (artifacts.length !== 1) throw new Error(`Expected one stack outputting ${api.name}Url, found ${artifacts.length}`);
    byApi[api.name] = listHttpApiRouteKeys(Template.fromJSON(artifacts[0]!.template));
  }
  return byApi;
}

export interface NagFinding {
  /** Construct path of the resource, e.g. `/test-haul-Data/MysqlPrimary/Resource`. */
  readonly path: string;
  /** e.g. `AwsSolutions-RDS3` */
  readonly rule: string;
  readonly message: string;
}

/**
 * cdk-nag's unsuppressed findings at `level`, read from the assembly of the one synthesis
 * (Annotations.fromStack would synthesize again, which SST does not survive).
 */
export function nagFindings(assembly: CloudAssembly, level: "error" | "warning"): NagFinding[] {
  return nagMessages(assembly, level).flatMap((finding) => {
    const rule = /^(AwsSolutions-[A-Za-z0-9]+)/.exec(finding.message)?.[1];
    return rule ? [{ ...finding, rule }] : [];
  });
}

/** Findings a suppression silenced (the pack must run with `logIgnores`, as `nagChecks` does). */
export function suppressedNagFindings(assembly: CloudAssembly): NagFinding[] {
  return nagMessages(assembly, "info").flatMap((finding) => {
    const rule = /(AwsSolutions-[A-Za-z0-9]+) was triggered but suppressed/.exec(finding.message)?.[1];
    return rule ? [{ ...finding, rule }] : [];
  });
}

function nagMessages(assembly: CloudAssembly, level: "error" | "warning" | "info"): Array<{ path: string; message: string }> {
  return assembly.stacks.flatMap((artifact) =>
    artifact.messages
      .filter((message) => message.level === level)
      .map((message) => ({ path: message.id, message: String(message.entry.data) })),
  );
}
