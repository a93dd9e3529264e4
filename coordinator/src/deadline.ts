/**
 * One re-armable wall-clock deadline. setTimeout may fire a little before the
 * deadline by Date.now(); the round engine would ignore such a tick, so an early
 * firing re-arms instead of calling back.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private at = 0;

  constructor(
    private readonly now: () => number,
    private readonly onExpired: (now: number) => void,
  ) {}

  arm(at: number): void {
    this.clear();
    this.at = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.now();
    if (now < this.at) this.arm(this.at);
    else this.onExpired(now);
  }
}
