import type { ReactNode } from 'react';

export interface RadioOption<V extends string> {
  value: V;
  label: ReactNode;
  /** Shown but not choosable (e.g. a reader that is offline). */
  disabled?: boolean;
}

/**
 * A fieldset of radio buttons: a legend, one value chosen among labelled options (arrow keys move
 * between them), and whatever the screen says under them (`children`: a warning, a field error).
 */
export function RadioGroup<V extends string>({
  legend,
  name,
  value,
  options,
  onChange,
  className,
  disabled,
  children,
}: {
  legend: string;
  name: string;
  /** The chosen option; null: none yet. */
  value: V | null;
  options: readonly RadioOption<V>[];
  onChange: (value: V) => void;
  /** More classes for the fieldset (its layout on a screen). */
  className?: string;
  /** The whole group is read-only (e.g. while a payment is in flight). */
  disabled?: boolean;
  children?: ReactNode;
}) {
  return (
    <fieldset className={`field radio-group${className ? ` ${className}` : ''}`} disabled={disabled}>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option.value} className={`radio${option.disabled ? ' radio--unavailable' : ''}`}>
          <input
            type="radio"
            name={name}
            value={option.value}
            checked={value === option.value}
            disabled={option.disabled}
            onChange={() => onChange(option.value)}
          />
          {option.label}
        </label>
      ))}
      {children}
    </fieldset>
  );
}
