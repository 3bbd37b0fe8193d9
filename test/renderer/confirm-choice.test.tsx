// @vitest-environment jsdom
/** The shared confirmation: where the focus goes when the cashier backs out of it. */
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfirmChoice } from '../../renderer/src/components/ConfirmChoice';

/** A button that a confirmation replaces, as every screen draws one; `onBack` may take the button away. */
function Harness({ keepOpener = true }: { keepOpener?: boolean }) {
  const [asking, setAsking] = useState(false);
  const [opener, setOpener] = useState(true);
  return (
    <main>
      <h1 tabIndex={-1}>Screen</h1>
      <div className="actions">
        {asking ? (
          <ConfirmChoice
            yes="Yes, do it"
            no="Keep it"
            busy={false}
            onYes={() => undefined}
            onNo={() => {
              setAsking(false);
              if (!keepOpener) setOpener(false);
            }}
          />
        ) : opener ? (
          <button type="button" onClick={() => setAsking(true)}>
            Do it
          </button>
        ) : null}
        <button type="button">Do it elsewhere</button>
      </div>
    </main>
  );
}

afterEach(cleanup);

describe('ConfirmChoice: backing out', () => {
  it('gives the focus back to the button that opened it, drawn again in its place', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    screen.getByRole('button', { name: 'Do it' }).focus();
    await user.keyboard('{Enter}');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Yes, do it' }));
    await user.keyboard('{Escape}');
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Do it' }));
    await user.click(screen.getByRole('button', { name: 'Do it' }));
    await user.click(screen.getByRole('button', { name: 'Keep it' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Do it' }));
  });

  it("when the opener is gone, to the screen's title, where Enter does nothing", async () => {
    const user = userEvent.setup();
    render(<Harness keepOpener={false} />);
    screen.getByRole('button', { name: 'Do it' }).focus();
    await user.keyboard('{Enter}');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('button', { name: 'Do it' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Screen' }));
  });
});
