/**
 * aws-local-stepfunctions calls `Promise.withResolvers` (Node 22+) in every Task; on Node 20
 * each Task would fail with "Promise.withResolvers is not a function", and a Catch on
 * States.ALL would swallow that silently. Import this module before the library.
 */
interface PromiseWithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
}

const promiseConstructor = Promise as unknown as PromiseWithResolvers;
promiseConstructor.withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
};
