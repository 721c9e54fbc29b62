// A promise raced against a timer: the timer's rejection (code ETIMEDOUT) when it does not settle in
// time, and the timer cleared either way.

export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  message = `no answer in ${ms} ms`,
): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(Object.assign(new Error(message), { code: 'ETIMEDOUT' })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
