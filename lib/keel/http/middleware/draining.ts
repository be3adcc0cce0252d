import type { RequestHandler } from 'express';
import type { Lifecycle } from '../lifecycle';

/** While draining, every response asks the client to close its connection, so none is reused. */
export function closeConnectionsWhileDraining(lifecycle: Pick<Lifecycle, 'phase'>): RequestHandler {
  return (_req, res, next) => {
    if (lifecycle.phase === 'draining') res.setHeader('Connection', 'close');
    next();
  };
}
