/**
 * Counts worker crashes in a sliding window. A primary that keeps replacing workers which crash
 * on start or in a loop looks alive to the platform while serving nothing; past `limit` crashes
 * within `windowMs` it should exit 1 instead, so that the platform restarts it or alerts.
 */
export class CrashWindow {
  private readonly crashes: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records a crash at `now` (ms); true once `limit` crashes fall within the window ending at `now`. */
  record(now: number): boolean {
    this.crashes.push(now);
    while (this.crashes.length > 0 && now - (this.crashes[0] as number) >= this.windowMs) this.crashes.shift();
    return this.crashes.length >= this.limit;
  }

  /** Crashes within the window, as of the last one recorded. */
  get count(): number {
    return this.crashes.length;
  }
}
