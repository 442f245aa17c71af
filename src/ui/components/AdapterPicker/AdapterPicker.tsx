// Puts a PEFT adapter on the real model that judges: its folder, its two files, or a Hub repository; shows
// the adapter on (rank, α, targets, the base it names), a warning when that base is another model, and why
// one was refused. Presentational: the store's adapter actions do the work.
import { memo } from 'react';
import type { JudgeAdapter } from '../../../state/judge_slice';
import { folderFromInput } from '../ModelLoader/folder_files';

export interface AdapterPickerProps {
  adapter: JudgeAdapter | null; // the one on the model that judges
  hubId: string;
  busy: boolean;
  error: string | null;
  onFiles: (name: string, files: File[]) => void;
  onHubId: (id: string) => void;
  onHub: () => void;
  onRemove: () => void;
}

// React's typings lack the non-standard attribute; the browser reads it as written
const directoryInput = { webkitdirectory: '' } as object;

function AdapterLine({ adapter: a }: { adapter: JudgeAdapter }) {
  const scale = a.info.rslora ? `α/√r = ${+(a.info.alpha / Math.sqrt(a.info.rank)).toPrecision(4)}` : '';
  return (
    <p role="status" data-testid="adapter-on">
      With the PEFT adapter {a.name}: r = {a.info.rank}, α = {a.info.alpha}
      {scale && ` (rsLoRA, ${scale})`} on {a.info.targets.join(', ')} ({a.info.tensors} tensors)
      {a.info.baseModel && `, trained on ${a.info.baseModel}`}.
    </p>
  );
}

export const AdapterPicker = memo(function AdapterPicker(p: AdapterPickerProps) {
  return (
    <details className="adapter-picker" data-testid="adapter-picker" open={p.adapter !== null || undefined}>
      <summary>Add a PEFT adapter (adapter_config.json + adapter_model.safetensors)</summary>
      <div className="row">
        <label className="file">
          its folder
          <input
            type="file"
            {...directoryInput}
            multiple
            disabled={p.busy}
            data-testid="adapter-folder-input"
            onChange={(e) => {
              if (e.target.files?.length) {
                const f = folderFromInput(e.target.files);
                p.onFiles(
                  f.name,
                  f.files.map((x) => x.file),
                );
              }
              e.target.value = '';
            }}
          />
        </label>{' '}
        <label className="file">
          or its two files
          <input
            type="file"
            multiple
            accept=".json,.safetensors"
            disabled={p.busy}
            data-testid="adapter-files-input"
            onChange={(e) => {
              if (e.target.files?.length) p.onFiles('picked files', [...e.target.files]);
              e.target.value = '';
            }}
          />
        </label>
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          p.onHub();
        }}
      >
        <input
          aria-label="adapter Hub id"
          placeholder="owner/name[@revision]"
          value={p.hubId}
          disabled={p.busy}
          onChange={(e) => p.onHubId(e.target.value)}
        />{' '}
        <button type="submit" disabled={p.busy || !p.hubId.trim()}>
          Fetch adapter
        </button>
        <span className="muted"> from the Hub URL of the model loader</span>
      </form>
      {p.busy && (
        <p className="muted" role="status">
          putting the adapter on…
        </p>
      )}
      {p.adapter && (
        <>
          <AdapterLine adapter={p.adapter} />
          {p.adapter.warning && (
            <p className="notice warning" role="alert" data-testid="adapter-warning">
              Warning: {p.adapter.warning}.
            </p>
          )}
          <button type="button" disabled={p.busy} onClick={p.onRemove}>
            Take the adapter off
          </button>
        </>
      )}
      {p.error && (
        <p className="notice error" role="alert" data-testid="adapter-error">
          {p.error}
        </p>
      )}
    </details>
  );
});
