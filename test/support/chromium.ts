import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * Headless Chromium driven through its DevTools protocol, over the pipe it opens with --remote-debugging-pipe
 * (no port, no WebSocket, no library). The browser is Debian's package: nothing here downloads one.
 */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox', // the suite runs as root in CI, where Chromium's sandbox refuses to start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
  '--remote-debugging-pipe',
];

interface Message {
  readonly id?: number;
  readonly method?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: unknown;
  readonly error?: { readonly message: string };
  readonly sessionId?: string;
}

/** One DevTools protocol connection: JSON messages, each ended by a NUL byte, in both directions. */
class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  private readonly listeners = new Set<(message: Message) => void>();
  private closed: Error | undefined;

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    let buffered = '';
    // A pipe Chromium closed on its way out: the exit, reported by launchChromium, says more.
    input.on('error', () => undefined);
    output.on('error', () => undefined);
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\0'); end !== -1; end = buffered.indexOf('\0')) {
        this.dispatch(JSON.parse(buffered.slice(0, end)) as Message);
        buffered = buffered.slice(end + 1);
      }
    });
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (result) => resolve(result as T),
        reject: (error) => reject(new Error(`${method}: ${error.message}`)),
      });
      this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** Every event of the connection; returns its removal. */
  listen(listener: (message: Message) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(error: Error): void {
    this.closed = error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  private dispatch(message: Message): void {
    if (message.id === undefined) {
      for (const listener of this.listeners) listener(message);
      return;
    }
    const waiting = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (message.error) waiting?.reject(new Error(message.error.message));
    else waiting?.resolve(message.result);
  }
}

/** What happened in a page since it opened, as a person with the developer tools open would have seen it. */
export interface PageRecord {
  /** The URL of every request the page made (Network.requestWillBeSent), in order. */
  readonly requests: { readonly url: string; readonly headers: Readonly<Record<string, string>> }[];
  /** Console errors, uncaught exceptions and the browser's own error lines (a failed load, a refused resource). */
  readonly errors: string[];
  /** Content-Security-Policy violations, as the page's securitypolicyviolation events reported them. */
  readonly cspViolations: string[];
}

const CSP_BINDING = 'keelReportCspViolation';

// Runs in every document before its own scripts (DevTools' scripts are not subject to the page's CSP).
const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (event) => {
  ${CSP_BINDING}(event.effectiveDirective + ' refused ' + (event.blockedURI || 'inline') + ' (' + event.sourceFile + ':' + event.lineNumber + ')');
});`;

interface RemoteObject {
  readonly type: string;
  readonly value?: unknown;
  readonly description?: string;
}

const describeArgument = (argument: RemoteObject): string =>
  argument.value === undefined ? (argument.description ?? argument.type) : String(argument.value);

/** One tab: navigation, evaluation in the page, a person's clicks and typing, and a screenshot. */
export class Page {
  readonly record: PageRecord = { requests: [], errors: [], cspViolations: [] };
  private readonly loads: (() => void)[] = [];
  private readonly watchers = new Set<() => void>();

  private constructor(
    private readonly connection: Connection,
    private readonly sessionId: string,
    private readonly targetId: string,
  ) {}

  static async open(connection: Connection, width: number, height: number): Promise<Page> {
    const { targetId } = await connection.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await connection.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(connection, sessionId, targetId);
    connection.listen((message) => {
      if (message.sessionId === sessionId && message.method) page.observe(message.method, message.params ?? {});
    });
    for (const domain of ['Page', 'Network', 'Runtime', 'Log']) await page.send(`${domain}.enable`);
    await page.send('Runtime.addBinding', { name: CSP_BINDING });
    await page.send('Page.addScriptToEvaluateOnNewDocument', { source: REPORT_CSP_VIOLATIONS });
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.connection.send<T>(method, params, this.sessionId);
  }

  /** Opens the URL and waits for its load event (the page's scripts have run; what they fetch may still come). */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.loads.push(resolve));
    const { errorText } = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (errorText) throw new Error(`navigating to ${url}: ${errorText}`);
    await loaded;
  }

  async reload(): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.loads.push(resolve));
    await this.send('Page.reload');
    await loaded;
  }

  /** The value of a JavaScript expression in the page (a promise is awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: RemoteObject;
      exceptionDetails?: { exception?: RemoteObject; text: string };
    }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value as T;
  }

  /**
   * Waits until the page's DOM makes the condition (a JavaScript expression) true, re-checked on every change
   * of the DOM; fails after timeoutMs saying what it waited for.
   */
  async waitFor(condition: string, what: string, timeoutMs = 30_000): Promise<void> {
    await this.evaluate(`new Promise((resolve, reject) => {
      const met = () => { try { return Boolean(${condition}); } catch { return false; } };
      if (met()) return resolve(true);
      const observer = new MutationObserver(() => { if (met()) { observer.disconnect(); clearTimeout(timer); resolve(true); } });
      const timer = setTimeout(() => { observer.disconnect(); reject(new Error(${JSON.stringify(`timed out after ${timeoutMs} ms waiting for ${what}`)})); }, ${timeoutMs});
      observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    })`);
  }

  /** Waits until what the page recorded meets the condition, checked at each event; fails after timeoutMs. */
  until(condition: (record: PageRecord) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition(this.record)) return;
        this.watchers.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(this.record)}`));
      }, timeoutMs);
      this.watchers.add(check);
      check();
    });
  }

  /** The text of the first element the selector finds ('' when none does). */
  text(selector: string): Promise<string> {
    return this.evaluate<string>(`document.querySelector(${JSON.stringify(selector)})?.innerText ?? ''`);
  }

  /**
   * Clicks the element as a person does, once it is there and holds still (a page renders after a click in a later
   * turn, on a busy machine noticeably later, and what renders above an element moves it): scrolled into view, its
   * box the same over five frames and nothing covering its middle, then the mouse pressed and released there.
   */
  async click(selector: string, timeoutMs = 30_000): Promise<void> {
    await this.waitFor(`document.querySelector(${JSON.stringify(selector)})`, selector, timeoutMs);
    const point = await this.evaluate<{ x: number; y: number } | string>(`(async () => {
      // A frame, or 100 ms where the tab paints none (a page in the background gets no animation frames).
      const frame = () => new Promise((resolve) => { requestAnimationFrame(() => resolve()); setTimeout(resolve, 100); });
      const deadline = Date.now() + ${timeoutMs};
      let why = 'nothing matches';
      while (Date.now() < deadline) {
        const element = document.querySelector(${JSON.stringify(selector)});
        if (element) {
          element.scrollIntoView({ block: 'center' });
          const before = element.getBoundingClientRect();
          for (let i = 0; i < 5; i++) await frame();
          const box = element.getBoundingClientRect();
          const x = box.x + box.width / 2, y = box.y + box.height / 2;
          const top = document.elementFromPoint(x, y);
          if (box.x !== before.x || box.y !== before.y || box.width !== before.width || box.height !== before.height) why = 'it kept moving';
          else if (!top || !(element === top || element.contains(top))) why = 'it is covered by ' + (top ? top.outerHTML.slice(0, 120) : 'nothing');
          else return { x, y };
        }
        await frame();
      }
      return why;
    })()`);
    if (typeof point === 'string') throw new Error(`cannot click ${selector}: ${point}`);
    for (const type of ['mouseMoved', 'mousePressed', 'mouseReleased']) {
      await this.send('Input.dispatchMouseEvent', { type, ...point, button: 'left', clickCount: type === 'mouseMoved' ? 0 : 1 });
    }
  }

  /** Clicks into the field, selects what it holds and types the text over it. */
  async type(selector: string, text: string): Promise<void> {
    await this.click(selector);
    await this.evaluate(`document.querySelector(${JSON.stringify(selector)}).select()`);
    await this.send('Input.insertText', { text });
  }

  /** A PNG of the whole page beyond the viewport, or of the clip (CSS pixels from the page's top left). */
  async screenshot(clip?: { x: number; y: number; width: number; height: number; scale: number }): Promise<Buffer> {
    const { data } = await this.send<{ data: string }>('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      ...(clip ? { clip } : {}),
    });
    return Buffer.from(data, 'base64');
  }

  close(): Promise<unknown> {
    return this.connection.send('Target.closeTarget', { targetId: this.targetId });
  }

  private observe(method: string, params: Record<string, unknown>): void {
    switch (method) {
      case 'Page.loadEventFired':
        this.loads.splice(0).forEach((resolve) => resolve());
        break;
      case 'Network.requestWillBeSent': {
        const request = params.request as { url: string; headers: Record<string, string> };
        this.record.requests.push({ url: request.url, headers: request.headers });
        break;
      }
      case 'Runtime.consoleAPICalled':
        if (params.type === 'error' || params.type === 'assert') {
          this.record.errors.push(`console.${String(params.type)}: ${(params.args as RemoteObject[]).map(describeArgument).join(' ')}`);
        }
        break;
      case 'Runtime.exceptionThrown': {
        const details = params.exceptionDetails as { text: string; exception?: RemoteObject };
        this.record.errors.push(`uncaught: ${details.exception?.description ?? details.text}`);
        break;
      }
      case 'Log.entryAdded': {
        const entry = params.entry as { level: string; source: string; text: string; url?: string };
        if (entry.level === 'error') this.record.errors.push(`${entry.source}: ${entry.text}${entry.url ? ` (${entry.url})` : ''}`);
        break;
      }
      case 'Runtime.bindingCalled':
        if (params.name === CSP_BINDING) this.record.cspViolations.push(String(params.payload));
        break;
    }
    for (const check of this.watchers) check();
  }
}

export interface Chromium {
  /** A new tab of width × height CSS pixels. */
  newPage(width?: number, height?: number): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Starts Chromium with a fresh profile (removed on close). Fails, saying so, when /usr/bin/chromium is missing:
 * the tests that need it never skip.
 */
export async function launchChromium(): Promise<Chromium> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's chromium package (apt-get install chromium; .ci/run installs it)`,
    );
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-chromium-'));
  const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const connection = new Connection(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = once(child, 'exit');
  void exited.then(
    ([code, signal]) => connection.close(new Error(`Chromium exited (${String(code ?? signal)}): ${stderr.trim()}`)),
    (error: Error) => connection.close(error),
  );
  const removeProfile = () => fs.rmSync(profile, { recursive: true, force: true });
  try {
    await connection.send('Browser.getVersion');
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    removeProfile();
    throw error;
  }
  return {
    newPage: (width = 1280, height = 900) => Page.open(connection, width, height),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        // Browser.close answers as Chromium goes: the exit is what tells it is done.
        void connection.send('Browser.close').catch(() => undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      removeProfile();
    },
  };
}
