// One setting's input. Must hold: an invalid entry is shown as typed with the rule's message (naming the
// setting, the value and what is allowed) and never reaches onChange, so it cannot silently empty the setting;
// a checkbox list turned all off is such an entry; items keep the rule's order.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ruleOf } from '../../../train/run_config';
import { settingError } from '../../../train/settings';
import { SettingControl, toggledItems } from './SettingInput';

const tasks = ruleOf('world.reasoningTasks');

describe('SettingInput', () => {
  it('shows an invalid entry as typed, marked invalid, with its message', () => {
    const rule = ruleOf('grpo.steps');
    const text = '1e12';
    const html = renderToStaticMarkup(
      createElement(SettingControl, {
        id: 'x',
        name: 'grpo.steps',
        rule,
        value: 40,
        text,
        error: settingError('grpo.steps', rule, text),
        disabled: false,
        onChange: () => {},
        onEdit: () => {},
      }),
    );
    expect(html).toMatch(/<input [^>]*aria-invalid="true"[^>]*value="1e12"/);
    expect(html).toContain('role="alert"');
    expect(html).toContain('grpo.steps must be a whole number from 1 to 10000 (got &quot;1e12&quot;)');
  });

  it('"typing into them empties the setting": turning off the last task is refused, not applied as empty', () => {
    const none = toggledItems(tasks, 'add', 'add', false);
    expect(none).toBe('');
    expect(settingError('world.reasoningTasks', tasks, none)).toMatch(/at least 1/);
    expect(toggledItems(tasks, 'count,add', 'sub', true)).toBe('add,sub,count'); // the rule's order
    expect(settingError('world.reasoningTasks', tasks, 'add,sub,count')).toBeNull();
  });

  it('a validated text list refuses a bad item and accepts an empty one where empty means all', () => {
    const cats = ruleOf('grpo.categories');
    expect(settingError('grpo.categories', cats, 'reasoning,maths')).toMatch(/"maths" is not a category/);
    expect(settingError('grpo.categories', cats, '')).toBeNull();
  });
});
