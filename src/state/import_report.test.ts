// What must hold for the import report: it counts records, valid pairs and bad records from the
// importer's result, names each bad line with its reason, caps the issues rendered (but counts them all);
// a file refused as a whole gets a headline naming the problem (not JSON, unknown format, empty).
import { describe, expect, it } from 'vitest';
import { importDataset } from '../rm/importers';
import { datasetNameFromFile, importFailure, ISSUES_SHOWN, keepLabel, toImportReport } from './import_report';

const rb = (id: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ prompt: `q${id}`, chosen: 'good', rejected: 'bad', subset: 'alpacaeval-easy', id, ...extra });

const refusal = (text: string, name = 'f.jsonl') => {
  try {
    importDataset(text, name, { onError: 'skip' });
  } catch (e) {
    return importFailure(name, e);
  }
  throw new Error('the importer accepted the file');
};

describe('toImportReport', () => {
  it('reports format, records, valid pairs and each bad line with its reason', () => {
    const { prompt, chosen, ...noChosen } = JSON.parse(rb(3)) as Record<string, unknown>;
    void prompt;
    void chosen;
    const text = [rb(1), rb(2), '{not json', JSON.stringify({ prompt: 'q3', ...noChosen }), rb(5)].join('\n');
    const r = toImportReport(importDataset(text, 'rb.jsonl', { onError: 'skip' }), 'rb.jsonl', text.length);
    expect(r).toMatchObject({
      fileName: 'rb.jsonl',
      format: 'rewardbench',
      container: 'jsonl',
      records: 5,
      pairs: 3,
      badRecords: 2,
    });
    expect(r.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(r.errors[0].reason).toMatch(/invalid JSON/);
    expect(r.errors[1].reason).toMatch(/missing field "chosen"/);
    expect(keepLabel(r)).toBe('Keep 3 valid pairs (skip 2 bad records)');
  });

  it('renders at most ISSUES_SHOWN issues but counts all of them', () => {
    const lines = Array.from({ length: ISSUES_SHOWN + 50 }, (_, i) => (i % 2 ? '[1]' : rb(i)));
    const r = toImportReport(importDataset(lines.join('\n'), 'big.jsonl', { onError: 'skip' }), 'big.jsonl', 0);
    expect(r.badRecords).toBe((ISSUES_SHOWN + 50) / 2);
    expect(r.errors.length).toBe(Math.min(ISSUES_SHOWN, r.badRecords));
    const many = Array.from({ length: 2 * ISSUES_SHOWN + 2 }, (_, i) => (i === 0 ? rb(0) : 'nope'));
    const r2 = toImportReport(importDataset(many.join('\n'), 'm.jsonl', { onError: 'skip' }), 'm.jsonl', 0);
    expect(r2.badRecords).toBe(2 * ISSUES_SHOWN + 1);
    expect(r2.errors).toHaveLength(ISSUES_SHOWN);
  });

  it('offers a plain save when nothing is bad', () => {
    const r = toImportReport(importDataset(rb(1), 'one.jsonl', { onError: 'skip' }), 'one.jsonl', 0);
    expect(keepLabel(r)).toBe('Save 1 valid pair');
  });
});

describe('importFailure', () => {
  it('names a file that is not JSON at all', () => {
    const f = refusal('hello world\nthis is a text file\n', 'notes.txt');
    expect(f.title).toBe('notes.txt is not JSON or JSONL: no line parses as a JSON record.');
    expect(f.detail).toMatch(/line 1: invalid JSON/);
  });
  it('names a JSON array that does not parse', () => {
    expect(refusal('[{"a": 1},', 'broken.json').title).toMatch(/broken\.json is not valid JSON/);
  });
  it('names an unknown format and passes on the fields seen', () => {
    const f = refusal('{"question": "q", "answer": "a"}\n');
    expect(f.title).toBe('The dataset format of f.jsonl was not recognised.');
    expect(f.detail).toMatch(/fields seen: question, answer/);
  });
  it('names an empty file', () => {
    expect(refusal('  \n').title).toMatch(/holds no records/);
  });
});

describe('datasetNameFromFile', () => {
  it('drops folders and the JSON ending', () => {
    expect(datasetNameFromFile('C:\\data\\reward-bench.JSONL')).toBe('reward-bench');
    expect(datasetNameFromFile('/x/testset-v1.json')).toBe('testset-v1');
    expect(datasetNameFromFile('.json')).toBe('imported');
  });
});
