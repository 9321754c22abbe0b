import assert from 'node:assert/strict';
import { requireViewer, type Context } from '../context.js';
import { deposit, type DepositInput } from '../ledger/commands/deposit.js';
import { failureOf, type CommandResult } from '../ledger/commands/run-command.js';
import { transfer, type TransferInput } from '../ledger/commands/transfer.js';
import { withdraw, type WithdrawInput } from '../ledger/commands/withdraw.js';
import { expectErrorOf, MOVEMENT_ERROR_CLASSES, type MovementError } from '../ledger/errors.js';
import { balanceFromStored, type MoneyMovementView } from './views.js';

function toMovement({ outcome, replayed }: CommandResult): MoneyMovementView | MovementError {
  const failure = failureOf(outcome);
  if (failure) return expectErrorOf(MOVEMENT_ERROR_CLASSES, failure);
  assert.ok(outcome.ok && outcome.transactionId && outcome.balances);
  return { transactionId: outcome.transactionId, balances: outcome.balances.map(balanceFromStored), replayed };
}

export async function resolveDeposit(context: Context, input: DepositInput): Promise<MoneyMovementView | MovementError> {
  return toMovement(await deposit(context.orm, requireViewer(context), input));
}

export async function resolveWithdraw(context: Context, input: WithdrawInput): Promise<MoneyMovementView | MovementError> {
  return toMovement(await withdraw(context.orm, requireViewer(context), input));
}

export async function resolveTransfer(context: Context, input: TransferInput): Promise<MoneyMovementView | MovementError> {
  return toMovement(await transfer(context.orm, requireViewer(context), input));
}
