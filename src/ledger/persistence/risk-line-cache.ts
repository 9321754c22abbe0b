import type { Channel } from '../types.js';
import { KeptLinesIndex } from '../risk/kept-lines-index.js';
import { lineKeys, type LineSource, type RiskLine } from '../risk/tally-risk-lines.js';
import type { Database } from './database.js';

/**
 * Each customer's settled risk lines, kept by the process so that a movement's risk step reads
 * only the lines written since (tally_risk_tail, migration 20261207100000, which says why a
 * transaction id can be a watermark). Lines never change once settled, so what is kept stays
 * true; every way it could stop being true makes PostgreSQL answer the whole window instead (the
 * migration lists them), and the process then keeps that.
 *
 * Invariant, per customer: `lines` holds every line of theirs with xid < `watermark` and time
 * ≥ `coveredSinceUs`, each once, as read on `server`; nothing else. A tail answered for an ask
 * adds its lines in [watermark, settled_below) and raises the watermark; the facts of that ask are
 * the lines kept below the watermark it was asked with, plus its tail. Concurrent asks of one
 * process can interleave freely: each counts from its own watermark, and adding compares ids, so
 * a line is added once.
 *
 * Bounded: at most MAX_LINES lines over all customers (each customer kept counting one more), the least recently asked dropped first,
 * and lines older than a day (and at most an hour more) before the window of the customer's
 * latest answer.
 */

/** How many lines the process keeps, over all customers (about 150 bytes each). */
const MAX_LINES = 200_000;
/** How much older than needed kept lines may grow before they are dropped. */
const PRUNE_STEP_US = 60 * 60 * 1_000_000;
/** How many account → customer links it keeps. */
const MAX_ACCOUNTS = 200_000;

interface CustomerLines {
  readonly customerId: string;
  readonly server: string;
  watermark: number;
  coveredSinceUs: number;
  lines: RiskLine[];
  /** Follows `lines` (a new array, a new index): what the facts count them through. */
  index: KeptLinesIndex;
}

/** What an ask sends to tally_risk_tail, and what it saw of the cache when sent. */
export interface TailAsk {
  readonly customerId: string | null;
  readonly watermark: string | null;
  readonly coveredSinceUs: string | null;
  readonly server: string | null;
  readonly kept: CustomerLines | undefined;
  /** The kept lines as they were when asked (pruning replaces the array; its lines below the watermark never change). */
  readonly keptLines: readonly RiskLine[];
  /**
   * How many there were: exactly those below the watermark, as every line kept is below it and
   * every line added later is at or above it. The index counts that many from the array's start.
   */
  readonly keptCount: number;
  readonly keptIndex: KeptLinesIndex | undefined;
}

/** tally_risk_tail's answer for a single-owner account. */
export interface TailJson {
  customer_id: string;
  server: string;
  full: boolean;
  /** With a whole window: the customer's accounts (up to 1,000), each linked to the lines kept. */
  accounts?: string[] | null;
  settled_below: string;
  now_us: string;
  since_us: string;
  lines: Array<[xid: string, atUs: string, kind: string, channel: string, currency: string, amountMinor: string, outgoing: boolean]>;
}

/** How many answers were whole windows and how many tails (what the tests check the cache by). */
export interface RiskLineReads {
  full: number;
  tail: number;
}

export class RiskLineCache {
  private readonly customers = new Map<string, CustomerLines>();
  private readonly customerOfAccount = new Map<string, string>();
  private lineCount = 0;
  readonly reads: RiskLineReads = { full: 0, tail: 0 };

  constructor(private readonly limits: { readonly maxLines: number; readonly maxAccounts: number } = { maxLines: MAX_LINES, maxAccounts: MAX_ACCOUNTS }) {}

  /** What to ask PostgreSQL for the account's customer: a tail from the watermark, or (nothing kept) the whole window. */
  askFor(accountId: string): TailAsk {
    const customerId = this.customerOfAccount.get(accountId);
    const kept = customerId === undefined ? undefined : this.customers.get(customerId);
    if (!kept) return { customerId: null, watermark: null, coveredSinceUs: null, server: null, kept: undefined, keptLines: [], keptCount: 0, keptIndex: undefined };
    // Most recently asked last: the first entries are the ones to drop.
    this.customers.delete(kept.customerId);
    this.customers.set(kept.customerId, kept);
    return {
      customerId: kept.customerId,
      watermark: kept.watermark.toString(),
      coveredSinceUs: String(kept.coveredSinceUs),
      server: kept.server,
      kept,
      keptLines: kept.lines,
      keptCount: kept.lines.length,
      keptIndex: kept.index,
    };
  }

  /** Keeps what an answer settled; returns the lines the ask's facts count (kept below its watermark, and the tail). */
  absorb(accountId: string, ask: TailAsk, answer: TailJson): LineSource[] {
    const lines = answer.lines.map(lineOf);
    const settledBelow = Number(answer.settled_below);
    // Transaction ids are 64-bit; past 2^53 (never, in practice: 2^21 wraparounds) they are not compared in doubles, and nothing is kept.
    if (!Number.isSafeInteger(settledBelow) || lines.some((line) => !Number.isSafeInteger(line.xid))) {
      this.forget(answer.customer_id);
      return !answer.full && ask.watermark !== null ? [{ lines: ask.keptLines, below: Number(ask.watermark) }, { lines }] : [{ lines }];
    }
    // Every answer names where a whole window would start now (a day before the window it needs): older lines are not needed.
    const keepFromUs = Number(answer.since_us);
    this.linkAccount(accountId, answer.customer_id);
    if (answer.full || !ask.kept || ask.watermark === null) {
      this.reads.full += 1;
      for (const other of answer.accounts ?? []) this.linkAccount(other, answer.customer_id);
      const keptLines = lines.filter((line) => line.xid < settledBelow);
      this.replace({ customerId: answer.customer_id, server: answer.server, watermark: settledBelow, coveredSinceUs: keepFromUs, lines: keptLines, index: new KeptLinesIndex() });
      return [{ lines }];
    }
    this.reads.tail += 1;
    // The kept array as it was when asked: adding appends, pruning replaces it, so its lines below the ask's watermark are unchanged.
    const kept: LineSource = { lines: ask.keptLines, below: Number(ask.watermark), ...(ask.keptIndex ? { indexed: { index: ask.keptIndex, upTo: ask.keptCount } } : {}) };
    const counted: LineSource[] = [kept, { lines }];
    if (this.customers.get(ask.kept.customerId) === ask.kept) this.add(ask.kept, lines, settledBelow, keepFromUs);
    return counted;
  }

  private forget(customerId: string): void {
    const kept = this.customers.get(customerId);
    if (!kept) return;
    this.customers.delete(customerId);
    this.lineCount -= weightOf(kept);
  }

  private add(kept: CustomerLines, tail: readonly RiskLine[], settledBelow: number, keepFromUs: number): void {
    const before = kept.lines.length;
    for (const line of tail) {
      if (line.xid >= kept.watermark && line.xid < settledBelow && line.atUs >= kept.coveredSinceUs) kept.lines.push(line);
    }
    if (settledBelow > kept.watermark) kept.watermark = settledBelow;
    // Pruning copies the array: done when an hour of lines has aged out, not on every ask.
    if (keepFromUs - kept.coveredSinceUs > PRUNE_STEP_US) {
      kept.lines = kept.lines.filter((line) => line.atUs >= keepFromUs);
      kept.index = new KeptLinesIndex();
      kept.coveredSinceUs = keepFromUs;
    }
    this.lineCount += kept.lines.length - before;
    this.evict();
  }

  private replace(kept: CustomerLines): void {
    this.forget(kept.customerId);
    this.customers.set(kept.customerId, kept);
    this.lineCount += weightOf(kept);
    this.evict();
  }

  private linkAccount(accountId: string, customerId: string): void {
    this.customerOfAccount.delete(accountId);
    this.customerOfAccount.set(accountId, customerId);
    if (this.customerOfAccount.size > this.limits.maxAccounts) this.customerOfAccount.delete(this.customerOfAccount.keys().next().value!);
  }

  private evict(): void {
    for (const [customerId, kept] of this.customers) {
      if (this.lineCount <= this.limits.maxLines) return;
      this.customers.delete(customerId);
      this.lineCount -= weightOf(kept);
    }
  }

  /** How many lines are kept, each kept customer counting one more (tests check the bound and that something was kept). */
  get size(): number {
    return this.lineCount;
  }
}

/** What a kept customer counts toward MAX_LINES: their lines, and one for the entry itself (a customer with no lines still costs memory). */
function weightOf(kept: CustomerLines): number {
  return kept.lines.length + 1;
}

function lineOf([xid, atUs, kind, channel, currency, amountMinor, outgoing]: TailJson['lines'][number]): RiskLine {
  const amount = Number(amountMinor);
  return { xid: Number(xid), atUs: Number(atUs), kind, channel: channel as Channel, currency, amountMinor: BigInt(amountMinor), amount: Number.isSafeInteger(amount) ? amount : Number.NaN, outgoing, keys: lineKeys(kind, channel, currency) };
}

/** One cache per database driver (one process may serve several databases; the tests do), as current-rules.ts keeps rules. */
const cacheByDriver = new WeakMap<object, RiskLineCache>();

export function riskLineCacheOf(database: Database): RiskLineCache {
  const driver = database.getDriver();
  let cache = cacheByDriver.get(driver);
  if (!cache) {
    cache = new RiskLineCache();
    cacheByDriver.set(driver, cache);
  }
  return cache;
}
