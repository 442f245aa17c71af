// One setting's input, drawn by its rule's input kind (train/settings.ts): a number field with the range, a
// select, a checkbox, a checkbox per allowed item of a list, or a validated text field. Only text the rule
// accepts reaches `onChange`; anything else stays on screen with the rule's message, and the setting keeps
// its value (an invalid entry never silently empties it). Props only; the typed text is local.
import { memo, type ReactElement, useState } from 'react';
import { settingError, type Rule } from '../../../train/settings';

export interface SettingInputProps {
  id: string;
  name: string; // the setting as messages name it, e.g. grpo.steps
  rule: Rule;
  value: unknown;
  disabled: boolean;
  onChange: (raw: string) => void;
  itemLabel?: (item: string) => string; // a checkbox list item's accessible name (default: the item)
}

/** The text a checkbox list becomes when `item` is turned on or off (items kept in the rule's order). */
export function toggledItems(rule: Rule, value: unknown, item: string, on: boolean): string {
  const now = new Set(rule.format(value as never).split(','));
  if (on) now.add(item);
  else now.delete(item);
  return (rule.options ?? []).filter((x) => now.has(x)).join(',');
}

export interface SettingControlProps extends SettingInputProps {
  text: string; // what the user typed (or the value's text)
  error: string | null;
  onEdit: (raw: string) => void;
}

/** The control itself, from the typed text and its error: pure, so a test can draw any state. */
export function SettingControl(props: SettingControlProps) {
  const { id, name, rule, value, text, error, disabled, onEdit, itemLabel } = props;
  const common = {
    id,
    disabled,
    'aria-invalid': error !== null,
    'aria-describedby': error ? `${id}-error` : undefined,
  };
  let control: ReactElement;
  if (rule.input === 'select')
    control = (
      <select {...common} value={text} onChange={(e) => onEdit(e.target.value)}>
        {(rule.options ?? []).map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    );
  else if (rule.input === 'checkbox')
    control = (
      <input {...common} type="checkbox" checked={value === true} onChange={(e) => onEdit(String(e.target.checked))} />
    );
  else if (rule.input === 'checkboxes')
    control = (
      <span id={id} role="group" aria-label={name} className="setting-items">
        {(rule.options ?? []).map((item) => (
          <label key={item}>
            <input
              type="checkbox"
              aria-label={itemLabel?.(item)}
              disabled={disabled}
              checked={rule
                .format(value as never)
                .split(',')
                .includes(item)}
              onChange={(e) => onEdit(toggledItems(rule, value, item, e.target.checked))}
            />
            {item}
          </label>
        ))}
      </span>
    );
  else
    control = (
      <input
        {...common}
        type={rule.input === 'number' ? 'number' : 'text'}
        {...(rule.input === 'number' ? { min: rule.min, max: rule.max, step: rule.integer ? 1 : 'any' } : {})}
        value={text}
        onChange={(e) => onEdit(e.target.value)}
      />
    );
  return (
    <span className="setting-input">
      {control}
      {error && (
        <span id={`${id}-error`} className="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

export const SettingInput = memo(function SettingInput(props: SettingInputProps) {
  const { name, rule, value, onChange } = props;
  const shown = rule.format(value as never);
  const [text, setText] = useState(shown);
  const [seen, setSeen] = useState(shown);
  if (seen !== shown) {
    // the value changed (a preset, a link, or this field's own valid edit): show it unless the text means it
    setSeen(shown);
    const r = rule.parse(text);
    if (!(r.ok && rule.format(r.value as never) === shown)) setText(shown);
  }
  const error = settingError(name, rule, text);
  const onEdit = (raw: string) => {
    setText(raw);
    if (settingError(name, rule, raw) === null) onChange(raw);
  };
  return <SettingControl {...props} text={text} error={error} onEdit={onEdit} />;
});
