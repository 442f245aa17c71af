// The Train page's settings form, rendered to static markup. Must hold: every field is drawn by its input kind
// from the run field table, so list settings (world.reasoningTasks, grpo.categories) are never number inputs
// (a number input showed them empty, refused letters and emptied the setting when typed into); numbers carry
// their range; the current value is what the form shows.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { applyOverrides, fieldTable, RUN_DEFAULTS, settingValue } from '../../../train/run_config';
import { ConfigForm } from './ConfigForm';

const render = (config = RUN_DEFAULTS) =>
  renderToStaticMarkup(
    createElement(ConfigForm, {
      fields: fieldTable(),
      values: Object.fromEntries(fieldTable().map((f) => [f.key, settingValue(config, f.key)])),
      disabled: false,
      onChange: () => {},
    }),
  );
/** The opening tag of the element with this id. */
const tagOf = (html: string, id: string) =>
  html.match(new RegExp(`<[a-z]+ [^>]*id="${id.replace('.', '\\.')}"[^>]*>`))?.[0];

describe('ConfigForm', () => {
  it('"Text settings drawn as number inputs": list settings are not number inputs', () => {
    const html = render();
    for (const f of fieldTable().filter((x) => x.type !== 'number'))
      expect(tagOf(html, `cfg-${f.key}`), f.key).not.toMatch(/type="number"/);
    expect(tagOf(html, 'cfg-world.reasoningTasks')).toMatch(/^<span [^>]*role="group"/);
    expect(tagOf(html, 'cfg-grpo.categories')).toMatch(/^<input [^>]*type="text"/);
  });

  it('draws a checkbox per reasoning task, checked as the setting says, and the categories as their text', () => {
    const html = render(
      applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': 'add,count', 'grpo.categories': 'reasoning' }),
    );
    const group = html.slice(html.indexOf('id="cfg-world.reasoningTasks"'));
    const boxes = [...group.slice(0, group.indexOf('</span>')).matchAll(/<input ([^>]*)\/?>(\w+)<\/label>/g)];
    expect(boxes.map((m) => [m[2], m[1].includes('checked')])).toEqual([
      ['add', true],
      ['sub', false],
      ['muladd', false],
      ['reverse', false],
      ['sort', false],
      ['count', true],
    ]);
    expect(tagOf(html, 'cfg-grpo.categories')).toMatch(/value="reasoning"/);
  });

  it('numbers are number inputs with their range; choices are selects; booleans checkboxes', () => {
    const html = render();
    expect(tagOf(html, 'cfg-grpo.steps')).toMatch(/type="number".*min="1".*max="10000".*step="1"/);
    expect(tagOf(html, 'cfg-sft.lr')).toMatch(/type="number".*min="0".*max="1".*step="any"/);
    expect(tagOf(html, 'cfg-grpo.lossType')).toMatch(/^<select /);
    expect(tagOf(html, 'cfg-noRubric')).toMatch(/type="checkbox"/);
  });
});
