import { describe, expect, it, vi } from 'vitest';
import { Emitter } from '../../common/emitter';

describe('Emitter', () => {
  it('calls every listener with the value, in subscription order', () => {
    const events = new Emitter<number>();
    const heard: string[] = [];
    events.subscribe((n) => heard.push(`a${n}`));
    events.subscribe((n) => heard.push(`b${n}`));
    events.emit(1);
    events.emit(2);
    expect(heard).toEqual(['a1', 'b1', 'a2', 'b2']);
  });

  it('emits nothing to a listener once it unsubscribed', () => {
    const events = new Emitter<string>();
    const listener = vi.fn();
    const unsubscribe = events.subscribe(listener);
    events.emit('x');
    unsubscribe();
    events.emit('y');
    expect(listener.mock.calls).toEqual([['x']]);
    expect(events.size).toBe(0);
  });

  it('supports void events: emit() with no argument', () => {
    const events = new Emitter();
    const listener = vi.fn();
    events.subscribe(listener);
    events.emit();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('treats a function subscribed twice as one listener, like a Set', () => {
    const events = new Emitter<number>();
    const listener = vi.fn();
    events.subscribe(listener);
    events.subscribe(listener);
    events.emit(1);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(events.size).toBe(1);
  });

  it('makes unsubscribe idempotent: an old handle never removes a later subscription', () => {
    const events = new Emitter<number>();
    const listener = vi.fn();
    const first = events.subscribe(listener);
    first();
    events.subscribe(listener);
    first();
    events.emit(1);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('emits to a snapshot: listeners added during an emit wait, removed ones are still called', () => {
    const events = new Emitter<number>();
    const heard: string[] = [];
    let unsubscribeB: () => void = () => undefined;
    events.subscribe((n) => {
      heard.push(`a${n}`);
      unsubscribeB();
      events.subscribe((m) => heard.push(`late${m}`));
    });
    unsubscribeB = events.subscribe((n) => heard.push(`b${n}`));
    events.emit(1);
    expect(heard).toEqual(['a1', 'b1']);
    heard.length = 0;
    events.emit(2);
    expect(heard).toEqual(['a2', 'late2']);
  });

  it('keeps calling the other listeners when one throws, and does not throw to the caller', () => {
    const events = new Emitter<number>();
    const after = vi.fn();
    events.subscribe(() => {
      throw new Error('listener bug');
    });
    events.subscribe(after);
    expect(() => events.emit(7)).not.toThrow();
    expect(after).toHaveBeenCalledWith(7);
  });

  it('hands each listener error to onError, and survives an onError that throws', () => {
    const errors: unknown[] = [];
    const events = new Emitter<number>({ onError: (error) => errors.push(error) });
    const boom = new Error('boom');
    events.subscribe(() => {
      throw boom;
    });
    events.emit(1);
    expect(errors).toEqual([boom]);

    const fragile = new Emitter<number>({
      onError: () => {
        throw new Error('sink bug');
      },
    });
    const after = vi.fn();
    fragile.subscribe(() => {
      throw boom;
    });
    fragile.subscribe(after);
    expect(() => fragile.emit(2)).not.toThrow();
    expect(after).toHaveBeenCalledWith(2);
  });

  it('clear() drops every listener', () => {
    const events = new Emitter<number>();
    const listener = vi.fn();
    events.subscribe(listener);
    events.subscribe(() => undefined);
    events.clear();
    events.emit(1);
    expect(listener).not.toHaveBeenCalled();
    expect(events.size).toBe(0);
  });
});
