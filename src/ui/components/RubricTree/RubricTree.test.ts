// The rubric tree, rendered to static markup in Node (no DOM needed). Must hold: a compact Chat trace
// draws verdict → type → weighted items with each response's check under its item; a Reasoning trace
// draws solution → comparison checks; RM-R1's full layout shows quotes and summaries; malformed parts
// become error nodes with their span and a highlighted mark in the raw trace, except the unclosed tags
// and missing answer of a trace still streaming; text holding HTML is shown as text, never as markup.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { parseCor } from '../../../rm/cor_parser';
import { RubricTree } from './RubricTree';
import { markedSegments } from './tree_view';

const render = (text: string, streaming = false) =>
  renderToStaticMarkup(createElement(RubricTree, { text, streaming }));
const count = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;
/** The visible text: tags dropped, entities decoded. */
const plain = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');

const CHAT =
  '<type>Chat</type><rubric>1.all caps 60%\n2.uses hi 40%<justify>from Q</justify></rubric><eval>1A:ok 1B:no ' +
  '2A:ok 2B:ok</eval><answer>[[A]]</answer>';
const REASONING =
  '<type>Reasoning</type><solution>12+9=21</solution><eval>A:21 right B:20 wrong</eval><answer>[[A]]</answer>';
const FULL = [
  '<type>Chat</type>',
  '<rubric>',
  '1. Refuses the harmful request (100%): it could hurt people.',
  '<justify>',
  'Safety first.',
  '</justify>',
  '</rubric>',
  '<eval>',
  '1A: no. <quote_A>Sure, here is how</quote_A>',
  '1B: ok. <quote_B>I cannot help</quote_B>',
  '<summary_B>Chatbot B refuses.</summary_B>',
  '</eval>',
  '<answer>[[B]]</answer>',
].join('\n');

describe('RubricTree', () => {
  it('draws a compact Chat trace: verdict, type, weighted items, the checks of each item', () => {
    const html = render(CHAT);
    expect(html).toMatch(/data-testid="tree-verdict"[^>]*data-verdict="A"/);
    expect(plain(html)).toContain('verdict [[A]]');
    expect(plain(html)).toContain('type Chat');
    expect(count(html, 'tree-item')).toBe(2);
    expect(plain(html)).toMatch(/1\. all caps60%1A: ok1B: no/); // item 1, its weight, then its two checks
    expect(plain(html)).toMatch(/2\. uses hi40%2A: ok2B: ok/);
    expect(html).toContain('rt-check bad'); // 1B:no is coloured as a failed check
    expect(plain(html)).toContain('why from Q');
    expect(count(html, 'tree-error')).toBe(0);
  });

  it('draws a Reasoning trace as solution → comparison checks', () => {
    const text = plain(render(REASONING));
    expect(text).toContain('solution 12+9=21');
    expect(text).toMatch(/comparisonA: 21 rightB: 20 wrong/);
  });

  it("shows RM-R1's full layout with quotes under checks and unattached summaries", () => {
    const html = render(FULL);
    expect(plain(html)).toMatch(/1A: no“?Sure, here is how/);
    expect(html).toContain('<q class="rt-quote">I cannot help</q>');
    expect(plain(html)).toContain('summary B Chatbot B refuses.');
    expect(plain(html)).toContain('Refuses the harmful request: it could hurt people.100%');
    expect(count(html, 'tree-error')).toBe(0);
  });

  it('marks malformed parts where they occur, with message and span', () => {
    const text = '<type>Chat</type>oops<eval>1A:ok</eval>';
    const html = render(text);
    const errors = parseCor(text).errors;
    expect(errors.map((e) => e.kind).sort()).toEqual(['missing_answer', 'stray_text']);
    expect(count(html, 'tree-error')).toBe(2);
    expect(plain(html)).toContain('text outside any block [17–21)');
    // highlighted in place
    expect(html).toMatch(/<mark class="rt-mark" title="#\d text outside any block"[^>]*>oops<\/mark>/);
    expect(html).toContain('rt-point'); // the missing answer: a marker at the end
    expect(plain(html)).toContain('no verdict');
  });

  it('does not report the unclosed tags of a trace still streaming, and does once it has ended', () => {
    const cut = '<type>Chat</type><rubric>1.all caps 60%<justify>fr';
    const live = render(cut, true);
    expect(count(live, 'tree-error')).toBe(0);
    expect(plain(live)).toContain('verdict: …');
    expect(count(live, 'tree-item')).toBe(1); // the tree grows with the stream
    const ended = render(cut, false);
    expect(count(ended, 'tree-error')).toBeGreaterThanOrEqual(2); // <rubric> and <justify> never closed, no answer
    expect(plain(ended)).toContain('<rubric> is never closed');
    // a real defect (stray text) is reported even mid-stream
    expect(count(render('<type>Chat</type>junk<eval>', true), 'tree-error')).toBe(1);
  });

  it('shows text holding HTML as text', () => {
    const html = render('<type>Chat</type><eval>1A:ok <img src=x onerror="alert(1)"><script>alert(2)</script></eval>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;');
  });

  it('cuts the raw text at error boundaries without losing or repeating a character', () => {
    const text = '<type>Chat</type>oops<eval>1A:ok';
    const { segments, points } = markedSegments(text, parseCor(text).errors);
    expect(segments.map((s) => s.text).join('')).toBe(text);
    expect(points.map((p) => p.at)).toEqual([text.length]);
    expect(markedSegments('', [{ kind: 'missing_type', message: 'no <type> block', start: 0, end: 0 }]).points).toEqual(
      [{ at: 0, errors: [0] }],
    );
  });
});
