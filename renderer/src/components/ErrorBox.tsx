import type { CommandError } from '../../../common/contract';
import { adviceFor, fieldSentence, surelyNotDone } from '../lib/errors';
import { LiveRegion } from './LiveRegion';

/** A validation message that only lists its issues in the schema's words ("receiptEmail: not an email address"). */
function inSchemaWords(error: CommandError): boolean {
  const issues = error.issues ?? [];
  return (
    error.code === 'validation' &&
    issues.length > 0 &&
    error.message === issues.map((i) => `${i.path}: ${i.message}`).join('; ')
  );
}

/**
 * A command's error: what happened (the host's message) and what the cashier can do. Field issues
 * are shown next to their fields by the form; `shownPaths` lists those so they are not repeated here.
 */
export function ErrorBox({
  error,
  shownPaths = [],
  title,
}: {
  error: CommandError | null;
  shownPaths?: string[];
  /** What did not happen ("Not charged."): shown only when it surely did not. */
  title?: string;
}) {
  // Drawn with no error too: the region stays on the page, so the next error is announced; and
  // one its screen opens with (back on Create payment with the gateway's refusal) is heard too.
  if (!error) return <LiveRegion alert heardOnOpen as="div" />;
  const otherIssues = (error.issues ?? []).filter(
    (i) => !shownPaths.some((p) => i.path === p || i.path.startsWith(`${p}.`)),
  );
  const onlyFieldIssues = error.code === 'validation' && (error.issues?.length ?? 0) > 0 && otherIssues.length === 0;
  const advice = adviceFor(error);
  return (
    <LiveRegion alert heardOnOpen as="div" className="error-box">
      {title && surelyNotDone(error) ? <strong>{title} </strong> : null}
      <span>
        {onlyFieldIssues
          ? 'Check the highlighted fields.'
          : inSchemaWords(error)
            ? otherIssues.map((i) => fieldSentence(i.path, i.message)).join(' ')
            : error.message}
      </span>
      {advice ? <span> {advice}</span> : null}
    </LiveRegion>
  );
}
