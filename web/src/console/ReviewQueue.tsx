import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConsoleApproveReviewDocument, ConsoleDeclineReviewDocument, ReviewQueueDocument, type ReviewQueueQuery } from '../generated/graphql';
import { formatMoney } from '../money';
import { ActionResult, done, type Done } from './ActionResult';
import { ConfirmAction, settle } from './ConfirmAction';
import { describeRequestError } from './console-failures';
import { channelInSentence, channelWords, formatTime, shortId, words } from './format';
import { RefreshButton } from './RefreshButton';
import { SectionHeading } from './SectionHeading';

type Review = ReviewQueueQuery['reviews']['edges'][number]['node'];

/** How many pending reviews one page shows (the API allows 100; the cost of hits and features grows with it). */
const PAGE_SIZE = 20;

/** The risk review queue: movements held by a rule, why (the rule versions and the features they saw), approve or decline. */
export function ReviewQueue({ onOpenAccount }: { onOpenAccount: (accountId: string) => void }) {
  const [{ data, error, fetching }, reload] = useQuery({ query: ReviewQueueDocument, variables: { status: ['PENDING'], first: PAGE_SIZE }, requestPolicy: 'network-only' });
  const [last, setLast] = useState<Done>();
  const finished = (result: Done) => {
    setLast(result);
    reload({ requestPolicy: 'network-only' });
  };
  const reviews = data?.reviews.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="section-title" className="console-section">
      <SectionHeading>Review queue</SectionHeading>
      <p className="hint">Movements a risk rule held back. Their money is held until you decide; a review nobody decides is declined at its due time.</p>
      <RefreshButton fetching={fetching} onClick={() => reload({ requestPolicy: 'network-only' })} />
      <ActionResult done={last} />
      {fetching && !data && <p role="status">Loading the queue…</p>}
      {error && !data && <p role="alert" className="problem">{describeRequestError(error)}</p>}
      {data && reviews.length === 0 && <p>No movement is waiting for a review.</p>}
      <ul className="console-list" aria-label="Pending reviews">
        {reviews.map((review) => (
          <li key={review.id}>
            <ReviewCard review={review} onOpenAccount={onOpenAccount} onDone={finished} />
          </li>
        ))}
      </ul>
      {data?.reviews.pageInfo.hasNextPage && <p className="hint">More reviews are waiting: decide these first, the next ones follow.</p>}
    </section>
  );
}

function ReviewCard({ review, onOpenAccount, onDone }: { review: Review; onOpenAccount: (accountId: string) => void; onDone: (done: Done) => void }) {
  const amount = formatMoney(review.amount, review.currency);
  const what = `${words(review.kind)} of ${amount} by ${channelWords(review.channel)}`;
  // The same movement inside a sentence: "the withdrawal of 6,000.00 USD by wire".
  const inSentence = `${words(review.kind).toLowerCase()} of ${amount} by ${channelInSentence(review.channel)}`;
  const features = featureList(review.features);
  return (
    <article className="card review" aria-labelledby={`review-${review.id}`} data-review-id={review.id}>
      <h3 id={`review-${review.id}`}>{what}</h3>
      <dl className="facts">
        <dt>Account</dt>
        <dd>
          <button type="button" className="inline-link" onClick={() => onOpenAccount(review.accountId)}>
            Open account <code className="id" title={review.accountId}>{shortId(review.accountId)}</code>
          </button>
        </dd>
        <dt>Asked for</dt>
        <dd>{formatTime(review.createdAt)}</dd>
        <dt>Declined automatically</dt>
        <dd>{formatTime(review.dueAt)}</dd>
        <dt>Held</dt>
        <dd>{review.hold ? `${formatMoney(review.hold.amount, review.currency)} (${words(review.hold.status).toLowerCase()})` : 'Nothing: a deposit is simply not credited yet'}</dd>
      </dl>
      <h4>Why it is here</h4>
      <ul className="hits">
        {review.hits.map((hit) => (
          <li key={`${hit.rule.id}-${hit.rule.version}`}>
            <strong>{hit.rule.name}</strong> <span className="muted small">({hit.rule.id}, version {hit.rule.version}, {words(hit.rule.action).toLowerCase()})</span>: {hit.reason}
            <RuleEvidence condition={hit.rule.condition} features={features} />
          </li>
        ))}
      </ul>
      <details>
        <summary>What the rules saw ({features.length} features)</summary>
        <dl className="features">
          {features.map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      </details>
      <ReviewDecisions review={review} what={inSentence} amount={amount} onDone={onDone} />
    </article>
  );
}

/** Approve (posts the movement from its hold) or decline (releases the hold), each confirmed first. */
function ReviewDecisions({ review, what, amount, onDone }: { review: Review; what: string; amount: string; onDone: (done: Done) => void }) {
  const [, approve] = useMutation(ConsoleApproveReviewDocument);
  const [, decline] = useMutation(ConsoleDeclineReviewDocument);
  // What the hold keeps (a wire's principal and its fee); a deposit in review holds nothing.
  const held = review.hold ? formatMoney(review.hold.amount, review.currency) : amount;
  return (
    <div className="actions">
      <ConfirmAction
        label="Approve"
        title="Approve this movement?"
        confirmLabel="Yes, approve"
        note={{ label: 'Note for the record', required: false }}
        run={async (idempotencyKey, note) => {
          const result = await approve({ input: { reviewId: review.id, idempotencyKey, ...(note ? { note } : {}) } });
          return settle(result.data?.approveReview, result.error, (answer) => (answer.__typename === 'ReviewDecision' ? done(`Approved: the ${what} is posted.`, answer.transaction, answer.replayed) : undefined));
        }}
        onDone={onDone}
      >
        <p>
          The {what} is posted now, from its hold, and the money leaves the account for good.
        </p>
      </ConfirmAction>
      <ConfirmAction
        label="Decline"
        secondary
        title="Decline this movement?"
        confirmLabel="Yes, decline"
        note={{ label: 'Why (for the record)', required: false }}
        run={async (idempotencyKey, note) => {
          const result = await decline({ input: { reviewId: review.id, idempotencyKey, ...(note ? { note } : {}) } });
          return settle(result.data?.declineReview, result.error, (answer) =>
            answer.__typename === 'ReviewDecision' ? done(`Declined: the hold of ${held} is released and no money moved.`, answer.transaction, answer.replayed) : undefined,
          );
        }}
        onDone={onDone}
      >
        <p>The hold is released: the customer has the {held} available again, and nothing is posted.</p>
      </ConfirmAction>
    </div>
  );
}

/**
 * The rule's condition and the values it read: the features whose names appear in it
 * ("amount 600000, channel WIRE"), so the reviewer sees why it matched without unfolding all of them.
 */
function RuleEvidence({ condition, features }: { condition: string; features: readonly [string, string][] }) {
  const used = features.filter(([name]) => new RegExp(`(^|[^\\w.])${name.replace(/[.]/g, '\\.')}($|[^\\w])`).test(condition));
  return (
    <div className="evidence small">
      Condition <code>{condition}</code>
      {used.length > 0 && `; it saw ${used.map(([name, value]) => `${name} ${value}`).join(', ')}.`}
    </div>
  );
}

/** The features JSON as name/value pairs, nested objects flattened ("outgoing.sum_24h"). */
function featureList(json: string): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [['features', json]];
  }
  const pairs: [string, string][] = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [name, inner] of Object.entries(value)) walk(inner, path ? `${path}.${name}` : name);
    } else pairs.push([path, typeof value === 'string' ? value : JSON.stringify(value)]);
  };
  walk(parsed, '');
  return pairs;
}
