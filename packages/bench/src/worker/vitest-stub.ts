// @software-factory/sdk/testing re-exports its conformance suite, which imports vitest; the Worker never runs
// it, so the bundle gets these inert names instead of the test runner.
const unavailable = () => {
  throw new Error('vitest is not available inside the bench Worker');
};
export const describe = unavailable;
export const it = unavailable;
export const expect = unavailable;
