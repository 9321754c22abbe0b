import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { NO_ANSWER, type ApiFailure } from '../failures';
import { describeConsoleFailure, describeRequestError } from './console-failures';
import type { Done } from './ActionResult';

/** What running an action came to: done (shown by the section), refused (shown in the dialog), or no answer. */
export type Outcome = { readonly kind: 'done'; readonly done: Done } | { readonly kind: 'refused'; readonly text: string } | { readonly kind: 'no-answer' };

interface Props {
  /** The button that opens the confirmation, e.g. "Approve". */
  readonly label: string;
  /** The dialog's question, e.g. "Approve this review?". */
  readonly title: string;
  /** What will happen, in words (money that moves, and from where). */
  readonly children: ReactNode;
  /** The confirming button, e.g. "Yes, approve". */
  readonly confirmLabel: string;
  /** A reason or note field; `required` refuses an empty one before anything is sent. */
  readonly note?: { readonly label: string; readonly required: boolean };
  readonly secondary?: boolean;
  readonly disabled?: boolean;
  /** Sends the request with one idempotency key per intent. */
  readonly run: (idempotencyKey: string, note: string) => Promise<Outcome>;
  readonly onDone: (done: Done) => void;
}

/**
 * Every console action asks first: a modal dialog (the browser's own <dialog>: focus moves into
 * it, Escape cancels, focus returns to the opening button) says what will happen and sends only on
 * "Yes". One idempotency key per intent: made when the dialog opens, kept for a retry after no
 * answer (so a lost answer never does the step twice), and made anew after a definite answer.
 */
export function ConfirmAction({ label, title, children, confirmLabel, note, secondary, disabled, run, onDone }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  const key = useRef<string | undefined>(undefined);
  const unanswered = useRef(false);
  const id = useId();

  useEffect(() => {
    const element = dialog.current;
    if (open && element && !element.open) element.showModal();
    if (!open && element?.open) element.close();
  }, [open]);

  function show() {
    if (!unanswered.current) key.current = crypto.randomUUID();
    setProblem(undefined);
    setOpen(true);
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (sending.current) return;
    if (note?.required && text.trim() === '') {
      setProblem(`${note.label} is needed.`);
      return;
    }
    sending.current = true;
    setBusy(true);
    setProblem(undefined);
    const outcome = await run(key.current ?? crypto.randomUUID(), text.trim()).catch((): Outcome => ({ kind: 'no-answer' }));
    sending.current = false;
    setBusy(false);
    if (outcome.kind === 'no-answer') {
      unanswered.current = true;
      setProblem(`${NO_ANSWER} Trying again is safe: it will not be done twice.`);
      return;
    }
    unanswered.current = false;
    key.current = crypto.randomUUID();
    if (outcome.kind === 'refused') {
      setProblem(outcome.text);
      return;
    }
    setText('');
    setOpen(false);
    onDone(outcome.done);
  }

  return (
    <>
      <button type="button" className={secondary ? 'secondary' : undefined} disabled={disabled} onClick={show}>
        {label}
      </button>
      <dialog ref={dialog} className="confirm" aria-labelledby={`${id}-title`} onClose={() => setOpen(false)} onCancel={(event) => {
          // Escape waits while a request is out: its answer (a refusal, or none) is told in this dialog.
          if (sending.current) event.preventDefault();
        }}>
        <form onSubmit={(event) => void confirm(event)} noValidate>
          <h3 id={`${id}-title`}>{title}</h3>
          <div className="confirm-body">{children}</div>
          {note && (
            <>
              <label htmlFor={`${id}-note`}>{note.label}{note.required ? '' : ' (optional)'}</label>
              <textarea id={`${id}-note`} rows={2} maxLength={500} value={text} onChange={(event) => setText(event.target.value)} aria-required={note.required || undefined} />
            </>
          )}
          {problem && (
            <p role="alert" className="problem">
              {problem}
            </p>
          )}
          <div className="actions">
            <button type="submit" disabled={busy}>
              {busy ? 'Working…' : confirmLabel}
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/**
 * A mutation's answer as an Outcome: `success` turns the success type into what the section shows
 * (undefined for any other type, an error result told in words); no data at all is either no
 * answer (the network) or a top-level refusal, told in words too.
 */
export function settle<Answer extends { readonly __typename: string }>(
  answer: Answer | undefined,
  error: CombinedError | undefined,
  success: (answer: Answer) => Done | undefined,
): Outcome {
  if (!answer) return error?.graphQLErrors.length ? { kind: 'refused', text: describeRequestError(error) } : { kind: 'no-answer' };
  const finished = success(answer);
  if (finished) return { kind: 'done', done: finished };
  return { kind: 'refused', text: describeConsoleFailure(answer as ApiFailure) };
}
