/**
 * Waits until `condition` holds, checking on every turn of the event loop after a short pause. Not a
 * timing assertion: the test's own timeout is the only limit, and a condition that never holds fails it.
 */
export async function until(condition: () => boolean | Promise<boolean>, pauseMs = 5): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, pauseMs));
}

/** A promise and the function that settles it. */
export function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}
