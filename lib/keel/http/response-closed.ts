import type { ServerResponse } from 'node:http';

const HOOKS = Symbol('keel.responseClosedHooks');

type WithHooks = ServerResponse & { [HOOKS]?: () => void };

function runHooks(this: WithHooks): void {
  this[HOOKS]?.();
}

/**
 * Runs hook once the response is closed: after it finished, or when the client went away first.
 *
 * Every hook of a response runs from one 'close' listener, in the order they were added. With two
 * listeners or more, Node keeps them in an array made by one array literal in its events module,
 * shared by every emitter in the process. Under load V8 starts allocating that literal's arrays
 * straight in the old generation (allocation-site pretenuring); a dead response's listener array
 * then keeps the response, its request and everything they reference alive through minor GCs, and
 * every request is promoted: scavenges of ~8 ms instead of ~0.5, and a quarter of the CPU
 * (docs/benchmark-notes.md#garbage-collection-requests-promoted-through-pretenured-literals).
 * Hooks are chained as closures, so nothing here is an array either.
 */
export function onResponseClosed(res: ServerResponse, hook: () => void): void {
  const response = res as WithHooks;
  const earlier = response[HOOKS];
  if (earlier) {
    response[HOOKS] = inOrder(earlier, hook);
    return;
  }
  response[HOOKS] = hook;
  // 'close' fires once per response; on(), as once() wraps the listener in a per-call object.
  res.on('close', runHooks);
}

/**
 * The closure lives here, not in onResponseClosed: a closure there would make every call allocate
 * a context for it, even the calls that make none. While Maglev ran onResponseClosed (the first
 * seconds under load), those contexts kept the requests alive through minor GCs as the listener
 * arrays did: more than twice the promotion, scavenges of 6–8 ms instead of 1–2
 * (docs/benchmark-notes.md#the-first-seconds-what-maglevs-code-keeps-alive).
 */
function inOrder(first: () => void, second: () => void): () => void {
  return () => {
    first();
    second();
  };
}
