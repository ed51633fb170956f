/**
 * Executions kept in memory: every running one, and the most recent closed ones up to a
 * limit (oldest dropped first), so a long benchmark cannot exhaust memory. A dropped
 * execution's name stays taken, as names stay taken in AWS for 90 days, in a bounded set.
 */
import type { ExecutionHistory, ExecutionOutcome } from "./history.js";

export type ExecutionStatus = "RUNNING" | ExecutionOutcome["status"];

export class Execution {
  outcome: ExecutionOutcome | undefined;
  /** Aborts a running execution (the local cloud stopping). */
  abort: () => void = () => undefined;
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(
    /** Orders executions by start. */
    readonly sequence: number,
    readonly executionArn: string,
    readonly name: string,
    /** The input exactly as given to StartExecution. */
    readonly input: string,
    readonly startDate: number,
    readonly history: ExecutionHistory,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  get status(): ExecutionStatus {
    return this.outcome?.status ?? "RUNNING";
  }

  close(outcome: ExecutionOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.markClosed();
  }
}

export interface ExecutionStoreLimits {
  /** Closed executions kept with their history. */
  readonly maxClosedExecutions: number;
  /** Names of dropped executions remembered (so they stay taken); this store serves one state machine. */
  readonly maxRetiredNames: number;
}

export class ExecutionStore {
  private readonly byArn = new Map<string, Execution>();
  private readonly closedOldestFirst: Execution[] = [];
  private readonly retired = new Set<string>();
  private nextSequence = 1;

  constructor(private readonly limits: ExecutionStoreLimits) {}

  get(executionArn: string): Execution | undefined {
    return this.byArn.get(executionArn);
  }

  /** Whether an execution with this ARN existed but was dropped to bound memory. */
  wasDropped(executionArn: string): boolean {
    return this.retired.has(nameOf(executionArn));
  }

  create(executionArn: string, name: string, input: string, history: ExecutionHistory): Execution {
    const execution = new Execution(this.nextSequence++, executionArn, name, input, Date.now(), history);
    this.byArn.set(executionArn, execution);
    return execution;
  }

  /** Call once an execution has closed: it now counts towards the limit. */
  closed(execution: Execution): void {
    this.closedOldestFirst.push(execution);
    while (this.closedOldestFirst.length > this.limits.maxClosedExecutions) {
      const dropped = this.closedOldestFirst.shift()!;
      this.byArn.delete(dropped.executionArn);
      this.retired.add(dropped.name);
      if (this.retired.size > this.limits.maxRetiredNames) this.retired.delete(this.retired.values().next().value!);
    }
  }

  /** Newest first, optionally with one status, starting below `beforeSequence`. */
  *newestFirst(status?: ExecutionStatus, beforeSequence = Number.POSITIVE_INFINITY): Generator<Execution> {
    const all = [...this.byArn.values()];
    for (let index = all.length - 1; index >= 0; index--) {
      const execution = all[index]!;
      if (execution.sequence >= beforeSequence) continue;
      if (status === undefined || execution.status === status) yield execution;
    }
  }

  running(): Execution[] {
    return [...this.byArn.values()].filter((execution) => execution.status === "RUNNING");
  }
}

/** The last part of `arn:aws:states:<region>:<account>:execution:<state machine>:<name>` (names hold no colon). */
function nameOf(executionArn: string): string {
  return executionArn.slice(executionArn.lastIndexOf(":") + 1);
}
