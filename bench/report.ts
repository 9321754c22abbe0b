import type { CeilingResult } from './ceiling.js';
import type { MeasuredPhase, PhaseResult } from './load.js';
import type { ResidentMemory } from './resident-memory.js';

/** One line of progress on stdout, prefixed so it stands apart from the server's and pgbench's output. */
export function progress(message: string): void {
  process.stdout.write(`bench: ${message}\n`);
}

export function formatNumber(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function typedErrorCount(phase: PhaseResult): number {
  return Object.values(phase.typedErrors).reduce((sum, count) => sum + count, 0);
}

/** A fixed-width table, one row per phase, readable in a terminal and in a pasted log. */
function formatGrowth(percent: number): string {
  return `${percent >= 0 ? '+' : ''}${formatNumber(percent, 1)}%`;
}

/** The server's memory over a phase in words, for the progress lines. */
export function describeMemory(memory: ResidentMemory | null): string {
  if (memory === null) return 'rss not sampled';
  return `rss ${formatNumber(memory.startMb, 0)}→${formatNumber(memory.endMb, 0)} MB (${formatGrowth(memory.growthPercent)}, peak ${formatNumber(memory.peakMb, 0)})`;
}

export function phaseTable(phases: readonly MeasuredPhase[]): string {
  const header = ['scenario', 'clients', 'tx/s', 'p50 ms', 'p99 ms', 'ok', 'typed err', 'errors', 'server cpu ms/tx', 'pg cpu ms/tx', 'cmds/unit', 'rss MB start→end'];
  const rows = phases.map((phase) => [
    phase.scenario,
    String(phase.clients),
    formatNumber(phase.transactionsPerSecond, 1),
    formatNumber(phase.latencyMs.p50, 1),
    formatNumber(phase.latencyMs.p99, 1),
    String(phase.ok),
    String(typedErrorCount(phase)),
    String(phase.unexpectedErrors),
    phase.serverCpuMsPerTransaction === null ? '-' : formatNumber(phase.serverCpuMsPerTransaction, 2),
    phase.databaseCpuMsPerTransaction === null ? '-' : formatNumber(phase.databaseCpuMsPerTransaction, 2),
    phase.commandsPerUnit === null || phase.commandsPerUnit === undefined ? '-' : formatNumber(phase.commandsPerUnit, 2),
    phase.serverMemory === null ? '-' : `${formatNumber(phase.serverMemory.startMb, 0)}→${formatNumber(phase.serverMemory.endMb, 0)} (${formatGrowth(phase.serverMemory.growthPercent)})`,
  ]);
  return renderTable(header, rows);
}

/** A fixed-width table: the first column left-aligned (a label), the others right-aligned (numbers). */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function typedErrorDetails(phases: readonly PhaseResult[]): string[] {
  return phases
    .filter((phase) => typedErrorCount(phase) > 0)
    .map((phase) => `  C=${phase.clients} typed errors: ${JSON.stringify(phase.typedErrors)}`);
}

export function ceilingSummary(ceiling: CeilingResult): string[] {
  const lines = ceiling.lines.map((line) => line.raw);
  if (ceiling.note) lines.push(`ceiling ${ceiling.note}`);
  return lines;
}
