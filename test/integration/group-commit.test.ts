import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqlEntityManager } from '@mikro-orm/postgresql';
import { DepositDocument, TransferDocument, WithdrawDocument } from '../generated/graphql.js';
import { dataOf } from '../helpers/graphql-client.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';
import { GROUPED_LOCK_TIMEOUT_MS, groupCommits, groupCommitterOf, type GroupCommitter } from '../../src/ledger/commands/group-commit.js';
import { depositCommand, type DepositInput } from '../../src/ledger/commands/deposit.js';
import { withdrawCommand } from '../../src/ledger/commands/withdraw.js';
import { auditedUnit } from '../../src/auth/movement-audit.js';
import { RIDING_COMMIT } from '../../src/db/pipelined-transactions.js';
import type { Actor } from '../../src/ledger/types.js';
import type { AnyCommand, CommandResult } from '../../src/ledger/commands/command.js';
import type { UnitOptions } from '../../src/ledger/commands/run-command.js';

/**
 * Group commit (src/ledger/commands/group-commit.ts) on real PostgreSQL: concurrent single
 * movements share units, and every caller still gets exactly what some serial order gives.
 */
let t: TestApp;
let cashier: TestUser;

beforeAll(async () => {
  t = await startTestApp({
    // Two hundred requests at once from three customers: no per-user caps in the way.
    environment: { GROUP_COMMIT: 'on', GROUP_COMMIT_WINDOW_MS: '2', GROUP_COMMIT_MAX: '64', RATE_LIMIT_MOVEMENTS_PER_MINUTE: '0', MAX_CONCURRENT_REQUESTS_PER_USER: '0' },
  });
  // Many quick movements between three customers: not what the risk rules are about.
  await t.disableRiskRules();
  cashier = await t.cashier();
});
afterAll(() => t.close());

function committer(): GroupCommitter {
  const attached = groupCommitterOf(t.app.orm);
  if (!attached) throw new Error('GROUP_COMMIT=on attached no committer');
  return attached;
}

const minor = (text: string) => Math.round(Number(text) * 100);

describe('group commit over GraphQL', () => {
  it('200 concurrent movements on 3 accounts give exactly the outcomes of the committed serial order', async () => {
    const owners = await Promise.all([t.user(), t.user(), t.user()]);
    const accounts = await Promise.all(owners.map((owner) => t.account(owner, { opening: '20.00' })));
    type Ask = { kind: 'deposit' | 'withdraw' | 'transfer'; from: number; to: number; amount: number; key: string };
    // A fixed mix (no randomness: a failure replays the same way): deposits refill, withdrawals
    // and transfers of up to 9.00 drain, so some find too little and must say so.
    const asks: Ask[] = Array.from({ length: 200 }, (_, index) => ({
      kind: (['deposit', 'withdraw', 'transfer', 'transfer', 'withdraw'] as const)[index % 5]!,
      from: index % 3,
      to: (index + 1 + (index % 2)) % 3,
      amount: 100 + ((index * 37) % 800),
      key: randomUUID(),
    }));
    const before = committer().stats();
    const answers = await Promise.all(
      asks.map(async (ask) => {
        const amount = (ask.amount / 100).toFixed(2);
        const accountId = accounts[ask.from]!;
        const token = owners[ask.from]!.token;
        if (ask.kind === 'deposit') return dataOf(await t.gql(DepositDocument, { input: { accountId, amount, channel: 'CASH', idempotencyKey: ask.key } }, cashier.token)).deposit;
        if (ask.kind === 'withdraw') return dataOf(await t.gql(WithdrawDocument, { input: { accountId, amount, channel: 'ACH', idempotencyKey: ask.key } }, token)).withdraw;
        return dataOf(await t.gql(TransferDocument, { input: { fromAccountId: accountId, toAccountId: accounts[ask.to]!, amount, idempotencyKey: ask.key } }, token)).transfer;
      }),
    );
    const after = committer().stats();
    // They did share units: fewer units than commands, and at least one of many.
    expect(after.commands - before.commands).toBe(200);
    expect(after.units - before.units).toBeLessThan(200);
    expect(after.largestUnit).toBeGreaterThan(1);

    // The committed order: the journal's records of these movements, by id (a unit writes them in
    // its decision order; units on a shared account serialise on its lock, so ids follow).
    const { rows } = await t.database.pool.query<{ key: string }>(
      `select t.idempotency_key as key from journal_records j join ledger_transactions t on t.id = j.subject::uuid
        where j.kind = 'MOVEMENT' and t.idempotency_key = any($1) order by j.id`,
      [asks.map((ask) => ask.key)],
    );
    const byKey = new Map(asks.map((ask, index) => [ask.key, index]));
    const balances = [2000, 2000, 2000];
    const seen: number[][] = [[...balances]];
    for (const { key } of rows) {
      const index = byKey.get(key)!;
      const ask = asks[index]!;
      const answer = answers[index]!;
      // The pure model: a committed withdrawal or transfer had the money at its turn.
      if (ask.kind !== 'deposit') expect(balances[ask.from]!, `${ask.kind} #${index} committed without the funds`).toBeGreaterThanOrEqual(ask.amount);
      balances[ask.from]! += ask.kind === 'deposit' ? ask.amount : -ask.amount;
      if (ask.kind === 'transfer') balances[ask.to]! += ask.amount;
      seen.push([...balances]);
      // Its caller was told the balance the model has right after it.
      expect(answer.__typename).toBe('MoneyMovement');
      if (answer.__typename !== 'MoneyMovement') continue;
      expect(answer.replayed).toBe(false);
      const own = answer.balances.find((balance) => balance.accountId === accounts[ask.from]);
      expect(minor(own!.posted), `the answer of ${ask.kind} #${index}`).toBe(balances[ask.from]);
    }
    // Every other request was refused for want of funds, and at some turn of that order it lacked them.
    const refused = answers.map((answer, index) => ({ answer, index })).filter(({ answer }) => answer.__typename !== 'MoneyMovement');
    expect(refused.length + rows.length).toBe(200);
    expect(refused.length).toBeGreaterThan(0);
    for (const { answer, index } of refused) {
      const ask = asks[index]!;
      expect(answer.__typename, `#${index}`).toBe('InsufficientFundsError');
      expect(ask.kind).not.toBe('deposit');
      expect(seen.some((state) => state[ask.from]! < ask.amount), `${ask.kind} #${index} refused though funds never fell below ${ask.amount}`).toBe(true);
    }
    const stored = await t.database.pool.query<{ id: string; posted_minor: string }>('select id, posted_minor from accounts where id = any($1)', [accounts]);
    expect(accounts.map((id) => Number(stored.rows.find((row) => row.id === id)!.posted_minor))).toEqual(balances);
  });
});

describe('a group of commands in one unit', () => {
  /** A committer whose window outlasts the test's submissions, so what is queued together runs together. */
  let grouped: GroupCommitter;
  let previous: GroupCommitter | undefined;
  beforeAll(() => {
    previous = groupCommitterOf(t.app.orm);
    grouped = groupCommits(t.app.orm, { windowMs: 200, maxCommands: 64 })!;
  });
  afterAll(() => {
    groupCommits(t.app.orm, previous?.settings);
  });

  const service: () => Actor = () => ({ userId: cashier.id, role: 'SERVICE', channels: ['CASH', 'ATM'], requestId: randomUUID() });
  const cash = (accountId: string, amount: string): DepositInput => ({ accountId, amount, channel: 'CASH', idempotencyKey: randomUUID() });

  /**
   * Submits a first command, which runs at once (nothing is in flight), then `members` in the same
   * tick: they queue behind it and run as one unit when it ends. Resolves with the members' results.
   */
  async function inOneGroup(members: ReadonlyArray<{ command: AnyCommand; options?: UnitOptions }>, accountId: string): Promise<PromiseSettledResult<CommandResult>[]> {
    const before = grouped.stats();
    const first = grouped.submit(depositCommand(service(), cash(accountId, '0.01')));
    const settled = Promise.allSettled(members.map(({ command, options }) => grouped.submit(command, options)));
    await first;
    const results = await settled;
    const after = grouped.stats();
    expect(after.units - before.units).toBe(2);
    expect(after.commands - before.commands).toBe(members.length + 1);
    return results;
  }

  const fulfilled = (result: PromiseSettledResult<CommandResult> | undefined): CommandResult => {
    if (result?.status !== 'fulfilled') throw new Error(`expected an answer, got ${result?.status === 'rejected' ? String(result.reason) : 'nothing'}`);
    return result.value;
  };

  it('a member refused for INSUFFICIENT_FUNDS leaves its neighbours committed, and its refusal is stored under its key', async () => {
    const owner = await t.user();
    const accountId = await t.account(owner, { opening: '10.00' });
    const customer: Actor = { userId: owner.id, role: 'CUSTOMER', requestId: randomUUID() };
    const tooMuch = { accountId, amount: '50.00', channel: 'ACH' as const, idempotencyKey: randomUUID() };
    const results = await inOneGroup(
      [
        { command: depositCommand(service(), cash(accountId, '1.00')) },
        { command: withdrawCommand(customer, tooMuch) },
        { command: withdrawCommand(customer, { ...tooMuch, amount: '5.00', idempotencyKey: randomUUID() }) },
        { command: depositCommand(service(), cash(accountId, '2.00')) },
      ],
      accountId,
    );
    const outcomes = results.map((result) => fulfilled(result).outcome);
    expect(outcomes.map((outcome) => (outcome.ok ? 'OK' : outcome.code))).toEqual(['OK', 'INSUFFICIENT_FUNDS', 'OK', 'OK']);
    // Decided in arrival order against one another: 10.00 + 0.01 + 1.00 − 5.00 + 2.00.
    const last = outcomes[3]!;
    expect(last.ok && 'balances' in last ? last.balances[0]!.postedMinor : undefined).toBe('801');
    const { rows } = await t.database.pool.query('select posted_minor::int as posted, version from accounts where id = $1', [accountId]);
    expect(rows[0]).toEqual({ posted: 801, version: 5 });
    // The refusal was stored: the same request again is its replay, though funds would now suffice for nothing else.
    const again = await grouped.submit(withdrawCommand(customer, tooMuch));
    expect(again).toMatchObject({ replayed: true, outcome: { ok: false, code: 'INSUFFICIENT_FUNDS' } });
  });

  it('the same key twice in one unit is one transaction, both callers answered the same', async () => {
    const owner = await t.user();
    const accountId = await t.account(owner);
    const actor = service();
    const input = cash(accountId, '3.00');
    const [first, second] = (await inOneGroup([{ command: depositCommand(actor, input) }, { command: depositCommand(actor, input) }], accountId)).map(fulfilled);
    expect(first!.outcome).toEqual(second!.outcome);
    expect([first!.replayed, second!.replayed]).toEqual([false, true]);
    const { rows } = await t.database.pool.query('select count(*)::int as count from ledger_transactions where idempotency_key = $1', [input.idempotencyKey]);
    expect(rows[0].count).toBe(1);
  });

  it('a database error in a unit of many runs each command again alone: only the faulty one fails', async () => {
    const owner = await t.user();
    const accountId = await t.account(owner);
    const good = [cash(accountId, '1.00'), cash(accountId, '2.00'), cash(accountId, '4.00')];
    const faulty = depositCommand(service(), cash(accountId, '8.00'));
    const broken: AnyCommand = {
      ...faulty,
      async write(database, plan, context) {
        const written = await faulty.write(database, plan, context);
        // A real error of PostgreSQL's (22012 division_by_zero), after the command's rows were written.
        await database.execute('select 1 / 0', [], 'run');
        return written;
      },
    };
    const fallbacks = grouped.stats().fallbacks;
    const results = await inOneGroup(
      [{ command: depositCommand(service(), good[0]!) }, { command: broken }, { command: depositCommand(service(), good[1]!) }, { command: depositCommand(service(), good[2]!) }],
      accountId,
    );
    expect(grouped.stats().fallbacks).toBe(fallbacks + 1);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/division by zero/);
    expect(results.filter((result) => result.status === 'fulfilled').every((result) => result.value.outcome.ok)).toBe(true);
    const { rows } = await t.database.pool.query('select posted_minor::int as posted from accounts where id = $1', [accountId]);
    // 0.01 of the first unit, then 1.00 + 2.00 + 4.00: the faulty 8.00 never committed, nothing twice.
    expect(rows[0].posted).toBe(701);
    const keys = await t.database.pool.query('select count(*)::int as count from idempotency_records where key = $1', [broken.idempotencyKey]);
    expect(keys.rows[0].count).toBe(0);
  });

  it("each member's journal records and audit line name its own request, not the unit's first", async () => {
    const owner = await t.user();
    const accountId = await t.account(owner);
    const actors = [service(), service(), service()];
    const inputs = actors.map(() => cash(accountId, '1.00'));
    const execute = vi.spyOn(SqlEntityManager.prototype, 'execute');
    let statements: string[];
    try {
      const results = await inOneGroup(
        actors.map((actor, index) => ({
          command: depositCommand(actor, inputs[index]!),
          options: auditedUnit({ requestId: actor.requestId! }, actor, 'service.deposit', accountId, { idempotencyKey: inputs[index]!.idempotencyKey }),
        })),
        accountId,
      );
      expect(results.every((result) => result.status === 'fulfilled' && result.value.outcome.ok)).toBe(true);
      statements = execute.mock.calls.map(([query]) => (typeof query === 'string' ? query : ''));
    } finally {
      execute.mockRestore();
    }
    // The group's movements, each member's journal switch and audit line, and the COMMIT: one message (pipelined-transactions.ts).
    const groupsLast = statements.filter((query) => query.includes('insert into ledger_transactions')).at(-1)!;
    expect(groupsLast.split('insert into audit_events')).toHaveLength(4);
    expect(groupsLast.endsWith(RIDING_COMMIT)).toBe(true);
    const movements = await t.database.pool.query<{ key: string; request_id: string }>(
      `select t.idempotency_key as key, j.request_id from journal_records j join ledger_transactions t on t.id = j.subject::uuid
        where j.kind = 'MOVEMENT' and t.idempotency_key = any($1)`,
      [inputs.map((input) => input.idempotencyKey)],
    );
    expect(Object.fromEntries(movements.rows.map((row) => [row.key, row.request_id]))).toEqual(Object.fromEntries(inputs.map((input, index) => [input.idempotencyKey, actors[index]!.requestId])));
    const audits = await t.database.pool.query<{ key: string; request_id: string; journal_request: string }>(
      `select a.details ->> 'idempotencyKey' as key, a.request_id, j.request_id as journal_request from audit_events a
         join journal_records j on j.kind = 'AUDIT_EVENT' and j.subject = a.id::text
        where a.details ->> 'idempotencyKey' = any($1)`,
      [inputs.map((input) => input.idempotencyKey)],
    );
    expect(audits.rows).toHaveLength(3);
    for (const row of audits.rows) {
      const index = inputs.findIndex((input) => input.idempotencyKey === row.key);
      expect([row.request_id, row.journal_request]).toEqual([actors[index]!.requestId, actors[index]!.requestId]);
    }
  });

  it("several requests' movements land in ONE flush, each journal record naming its own request and actor", async () => {
    const owner = await t.user();
    const accountId = await t.account(owner);
    // Three service users: the actor differs as well as the request.
    const services = await Promise.all([0, 1, 2].map(() => t.user('SERVICE', { channels: ['CASH', 'ATM'] })));
    const actors: Actor[] = services.map((user) => ({ userId: user.id, role: 'SERVICE', channels: ['CASH', 'ATM'], requestId: randomUUID() }));
    const inputs = actors.map(() => cash(accountId, '1.00'));
    const execute = vi.spyOn(SqlEntityManager.prototype, 'execute');
    let statements: string[];
    try {
      const results = await inOneGroup(actors.map((actor, index) => ({ command: depositCommand(actor, inputs[index]!) })), accountId);
      expect(results.every((result) => result.status === 'fulfilled' && result.value.outcome.ok)).toBe(true);
      statements = execute.mock.calls.map(([query]) => (typeof query === 'string' ? query : ''));
    } finally {
      execute.mockRestore();
    }
    // The lone first deposit's unit, then the group's: one movement statement each. The group's
    // journal context is never switched: its movements name their requests in their statement,
    // and nothing the unit writes after them needs the switch.
    expect(statements.filter((query) => query.includes('insert into ledger_transactions'))).toHaveLength(2);
    expect(statements.filter((query) => query.includes("set_config('tally.request_id'") && !query.includes("set_config('statement_timeout'"))).toHaveLength(0);
    const records = await t.database.pool.query<{ key: string; request_id: string; actor_id: string }>(
      `select t.idempotency_key as key, j.request_id, j.actor_id from journal_records j join ledger_transactions t on t.id = j.subject::uuid
        where j.kind = 'MOVEMENT' and t.idempotency_key = any($1)`,
      [inputs.map((input) => input.idempotencyKey)],
    );
    expect(Object.fromEntries(records.rows.map((row) => [row.key, [row.request_id, row.actor_id]]))).toEqual(
      Object.fromEntries(inputs.map((input, index) => [input.idempotencyKey, [actors[index]!.requestId, actors[index]!.userId]])),
    );
  });

  it('a grouped movement of no request is journalled with none, between movements that name theirs', async () => {
    const owner = await t.user();
    const accountId = await t.account(owner);
    const actors: Actor[] = [service(), { ...service(), requestId: undefined }, service()];
    const inputs = actors.map(() => cash(accountId, '1.00'));
    const results = await inOneGroup(actors.map((actor, index) => ({ command: depositCommand(actor, inputs[index]!) })), accountId);
    expect(results.every((result) => result.status === 'fulfilled' && result.value.outcome.ok)).toBe(true);
    const records = await t.database.pool.query<{ key: string; request_id: string | null }>(
      `select t.idempotency_key as key, j.request_id from journal_records j join ledger_transactions t on t.id = j.subject::uuid
        where j.kind = 'MOVEMENT' and t.idempotency_key = any($1)`,
      [inputs.map((input) => input.idempotencyKey)],
    );
    expect(Object.fromEntries(records.rows.map((row) => [row.key, row.request_id]))).toEqual(
      Object.fromEntries(inputs.map((input, index) => [input.idempotencyKey, actors[index]!.requestId ?? null])),
    );
  });

  it('a member blocked on a row another transaction holds does not hold back its neighbours: they commit alone after the lock timeout, it commits once the row is free', async () => {
    const owner = await t.user();
    const free = await t.account(owner);
    const blocked = await t.account(owner);
    const holder = await t.database.pool.connect();
    const answerOrTimeout = (answer: Promise<CommandResult>, ms: number) =>
      Promise.race([answer.then((result) => result), new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms))]);
    try {
      await holder.query('begin');
      await holder.query('select 1 from accounts where id = $1 for update', [blocked]);
      const before = grouped.stats();
      const first = grouped.submit(depositCommand(service(), cash(free, '0.01')));
      const [one, stuck, four] = [cash(free, '1.00'), cash(blocked, '2.00'), cash(free, '4.00')].map((input) => grouped.submit(depositCommand(service(), input)));
      await first;
      // Without the timeout the group would wait for the row as long as the test holds it.
      const neighbours = await Promise.all([answerOrTimeout(one!, 10 * GROUPED_LOCK_TIMEOUT_MS + 5_000), answerOrTimeout(four!, 10 * GROUPED_LOCK_TIMEOUT_MS + 5_000)]);
      expect(neighbours.map((answer) => (answer === 'still waiting' ? answer : answer.outcome.ok))).toEqual([true, true]);
      expect(grouped.stats().fallbacks).toBe(before.fallbacks + 1);
      // Alone, the blocked deposit waits for its row as long as it takes: no lock timeout there.
      expect(await answerOrTimeout(stuck!, 2 * GROUPED_LOCK_TIMEOUT_MS)).toBe('still waiting');
      await holder.query('commit');
      expect((await stuck!).outcome.ok).toBe(true);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      holder.release();
    }
    const { rows } = await t.database.pool.query('select id, posted_minor::int as posted, version from accounts where id = any($1::uuid[]) order by posted', [[free, blocked]]);
    // Each deposit once: 2.00 on the blocked account, 0.01 + 1.00 + 4.00 on the free one.
    expect(rows.map(({ posted, version }) => ({ posted, version }))).toEqual([
      { posted: 200, version: 1 },
      { posted: 501, version: 3 },
    ]);
  });

  it('a lone request does not wait for the window: nothing in flight, it runs at once', async () => {
    const owner = await t.user();
    const accountId = await t.account(owner);
    const startedAt = performance.now();
    const result = await grouped.submit(depositCommand(service(), cash(accountId, '1.00')));
    expect(result.outcome.ok).toBe(true);
    // The window here is 200 ms; a unit of one on this machine takes a few.
    expect(performance.now() - startedAt).toBeLessThan(150);
  });
});
