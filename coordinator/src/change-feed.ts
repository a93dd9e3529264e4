/**
 * "Something the operator sees has changed": sessions came or went, a site's status,
 * a phase, a round, a run. The dashboard subscribes and pushes a fresh snapshot;
 * notifying is cheap and synchronous, so the run driver and the session handlers
 * call it freely, and subscribers debounce.
 */
export class ChangeFeed {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A failing subscriber must never disturb a round; it has its own error handling.
      }
    }
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
