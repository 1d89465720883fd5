// Preloaded into a CLI child (NODE_OPTIONS=--import) so that the 30 s grace an
// interrupted run gives requests in flight never runs out: if such a child
// exits, something other than the grace ended it. Plain JS: the child runs
// dist/ without tsx.
const GRACE_MS = 30_000;
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = function setTimeout(callback, ms, ...args) {
  if (ms === GRACE_MS) return realSetTimeout(() => undefined, 2 ** 31 - 1);
  return realSetTimeout(callback, ms, ...args);
};
