/**
 * Group commit: every write of one event-loop turn goes into one SQLite transaction, committed once
 * when the turn is over (a setImmediate), instead of one commit — a WAL frame per table and index
 * page touched — per request. The first write of a turn opens the group (`BEGIN IMMEDIATE`, from
 * inTransaction); each write inside it is a savepoint, so a handler that throws still undoes only
 * its own part.
 *
 * Nothing may leave the process before the commit that covers it: an HTTP answer, a dropped
 * connection, a webhook or notification POST all go through `afterCommit`, which runs at once when
 * nothing is waiting for a commit and otherwise when the group's COMMIT has run. Its callback is
 * told whether the group was committed: when the COMMIT fails (or SQLite rolled the transaction
 * back by itself), everything the group wrote is gone and each waiter answers as for a failure.
 */
import type { Db, Statement } from './database';

type Waiter = (committed: boolean) => void;

export class GroupCommit {
  /** The waiters of the open group, or null when nothing is waiting for a commit. */
  private waiters: Waiter[] | null = null;
  /** Groups SQLite ended by itself (an I/O error, a full disk): told at the next flush. */
  private lost: Waiter[][] = [];
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  /** Where a failed commit is reported (the sandbox's log). */
  log: (line: string) => void = () => {};

  constructor(private readonly db: Db) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /** Whether something written is not committed yet (an answer now would have to wait). */
  get pending(): boolean {
    this.noticeLoss();
    return this.waiters !== null;
  }

  /** Opens the turn's group if none is open; it commits once the turn's other work has run. */
  open(): void {
    this.noticeLoss();
    if (this.waiters !== null) return;
    this.begin.run();
    this.waiters = [];
    setImmediate(this.flush);
  }

  /** Runs `then` once what is written so far is committed (at once when nothing waits). */
  afterCommit(then: Waiter): void {
    if (this.pending) this.waiters!.push(then);
    else then(true);
  }

  /** Resolves true once what is written so far is committed, false when it was rolled back. */
  committed(): Promise<boolean> {
    return this.pending ? new Promise<boolean>((resolve) => this.waiters!.push(resolve)) : Promise.resolve(true);
  }

  /**
   * Commits the open group now and tells its waiters (at start, before the database is closed).
   * False when a commit failed (nothing open counts as committed).
   */
  readonly flush = (): boolean => {
    this.noticeLoss();
    const waiters = this.waiters;
    this.waiters = null;
    let committed = false;
    if (waiters !== null) {
      try {
        this.commit.run();
        committed = true;
      } catch (error) {
        this.log(
          `commit failed, ${waiters.length} answers told so: ${error instanceof Error ? error.message : String(error)}`,
        );
        // A COMMIT refused (a deferred constraint, say) leaves the transaction open.
        if (this.db.inTransaction) {
          try {
            this.rollback.run();
          } catch {
            // Already gone.
          }
        }
      }
    }
    const lost = this.lost;
    this.lost = [];
    for (const group of lost) tell(group, false);
    if (waiters !== null) tell(waiters, committed);
    return lost.length === 0 && (waiters === null || committed);
  };

  /** SQLite ends a transaction itself on some errors: that group's writes are gone. */
  private noticeLoss(): void {
    if (this.waiters === null || this.db.inTransaction) return;
    this.log(`the database ended a transaction by itself; ${this.waiters.length} answers waiting for it are told so`);
    this.lost.push(this.waiters);
    this.waiters = null;
    // Their answers must not wait for the next turn's group.
    setImmediate(this.flush);
  }
}

function tell(waiters: readonly Waiter[], committed: boolean): void {
  for (const waiter of waiters) {
    try {
      waiter(committed);
    } catch {
      // One waiter's failure (a socket gone) is no other's.
    }
  }
}

const groups = new WeakMap<Db, GroupCommit>();

/** The group commit of a database (one per connection). */
export function groupCommit(db: Db): GroupCommit {
  let group = groups.get(db);
  if (!group) {
    group = new GroupCommit(db);
    groups.set(db, group);
  }
  return group;
}
