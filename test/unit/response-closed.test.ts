import http from 'node:http';
import { expect } from 'chai';
import { onResponseClosed } from '../../lib/keel/http/response-closed';
import { listenOnLoopback } from '../support/http';

interface Closed {
  readonly hooks: string[];
  /** res.writableFinished when the hooks ran. */
  readonly finished: boolean;
  readonly closeListeners: number;
}

/** A real server whose handler adds three hooks, then answers (or not, for "/hang"). */
async function startServer(): Promise<{ server: http.Server; port: number; closed: Promise<Closed> }> {
  let report: (closed: Closed) => void = () => undefined;
  const closed = new Promise<Closed>((resolve) => (report = resolve));
  const server = http.createServer((req, res) => {
    const hooks: string[] = [];
    onResponseClosed(res, () => hooks.push('first'));
    onResponseClosed(res, () => hooks.push('second'));
    onResponseClosed(res, () => {
      hooks.push('third');
      report({ hooks, finished: res.writableFinished, closeListeners: res.listenerCount('close') });
    });
    if (req.url !== '/hang') res.end('ok');
  });
  return { server, port: await listenOnLoopback(server), closed };
}

describe('onResponseClosed', () => {
  let server: http.Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('runs every hook once, in the order added, after the response finished, from one close listener', async () => {
    const started = await startServer();
    server = started.server;

    const answer = await fetch(`http://127.0.0.1:${started.port}/`);
    expect(await answer.text()).to.equal('ok');

    const closed = await started.closed;
    expect(closed.hooks).to.deep.equal(['first', 'second', 'third']);
    expect(closed.finished).to.equal(true);
    expect(closed.closeListeners).to.equal(1);
  });

  it('runs the hooks when the client goes away before the response is complete', async () => {
    const started = await startServer();
    server = started.server;

    const client = http.get({ host: '127.0.0.1', port: started.port, path: '/hang' });
    client.on('error', () => undefined);
    client.on('socket', (socket) => socket.on('connect', () => setTimeout(() => client.destroy(), 50)));

    const closed = await started.closed;
    expect(closed.hooks).to.deep.equal(['first', 'second', 'third']);
    expect(closed.finished).to.equal(false);
  });
});
