import { useFocusOnMount } from '../lib/hooks';

/**
 * A confirmation shown in place of the button just pressed ("Yes, cancel the authorisation" /
 * "Keep it"), with the focus on the confirming button: Enter confirms, Tab reaches the way back.
 */
export function ConfirmChoice({
  yes,
  no,
  busy,
  onYes,
  onNo,
}: {
  yes: string;
  no: string;
  busy: boolean;
  onYes(): void;
  onNo(): void;
}) {
  const confirm = useFocusOnMount<HTMLButtonElement>();
  return (
    <>
      <button ref={confirm} type="button" className="danger" disabled={busy} onClick={onYes}>
        {yes}
      </button>
      <button type="button" onClick={onNo}>
        {no}
      </button>
    </>
  );
}
