import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { CommandObserver } from '../ledger/commands/command-observer.js';

/**
 * A span per unit of the command envelope, named after its commands (`command deposit`), under the
 * request that ran it. The envelope reports a unit once it committed or gave up (command-observer.ts),
 * so the span is recorded then, backdated to the unit's start: retries and their waits included.
 */
export function commandSpans(tracer: Tracer): CommandObserver {
  return {
    unitFinished(unit) {
      const endedAt = Date.now();
      const names = [...new Set(unit.commands.map((command) => command.name))].join(',');
      const span = tracer.startSpan(`command ${names}`, { startTime: endedAt - unit.durationMs });
      span.setAttributes({
        'tally.commands': unit.commands.map((command) => command.name),
        'tally.outcomes': unit.commands.map((command) => command.outcome),
        'tally.replayed': unit.commands.some((command) => command.replayed),
        'tally.attempts': unit.attempts,
        'tally.committed': unit.committed,
      });
      if (!unit.committed) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(endedAt);
    },
    unitRetried(sqlState) {
      // The unit's span does not exist yet (it is made at the end); the retry is an event on the request's.
      trace.getSpan(context.active())?.addEvent('command retried', { 'db.response.status_code': sqlState });
    },
  };
}
