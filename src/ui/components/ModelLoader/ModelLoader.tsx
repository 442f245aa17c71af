// Where a model comes from: a Hub id with revision (the Hub URL setting for mirrors, an access token for gated
// models with "remember"), a plain base URL, or a local folder (the directory picker, a folder input, or a
// folder dropped here). Presentational: the page passes the form and the actions.
import { memo, useState } from 'react';
import type { ModelForm } from '../../../state/models_slice';
import {
  folderFromDrop,
  folderFromInput,
  folderFromPicker,
  hasDirectoryPicker,
  type PickedFolder,
} from './folder_files';
import './ModelLoader.css';

export interface ModelLoaderProps {
  form: ModelForm;
  busy: boolean; // a load is running
  onForm: (patch: Partial<Omit<ModelForm, 'rememberToken'>>) => void;
  onRemember: (on: boolean) => void;
  onLoadHub: () => void;
  onLoadUrl: () => void;
  onFolder: (folder: PickedFolder) => void;
  onError: (message: string) => void;
}

const ORIGINS = [
  ['hub', 'Hugging Face Hub'],
  ['url', 'base URL'],
  ['folder', 'local folder'],
] as const;

// React's typings lack the non-standard attribute; the browser reads it as written
const directoryInput = { webkitdirectory: '' } as object;

function HubFields({ form, busy, onForm, onRemember, onLoadHub }: ModelLoaderProps) {
  return (
    <form
      className="model-fields"
      onSubmit={(e) => {
        e.preventDefault();
        onLoadHub();
      }}
    >
      <label>
        model{' '}
        <input
          value={form.hubId}
          onChange={(e) => onForm({ hubId: e.target.value })}
          placeholder="HuggingFaceTB/SmolLM2-135M-Instruct@main"
          aria-label="Hub model id"
          size={40}
        />
      </label>
      <label>
        Hub URL{' '}
        <input
          value={form.hubUrl}
          onChange={(e) => onForm({ hubUrl: e.target.value })}
          aria-label="Hub URL"
          size={28}
        />
      </label>
      <label>
        access token (gated models){' '}
        <input
          type="password"
          autoComplete="off"
          value={form.token}
          onChange={(e) => onForm({ token: e.target.value })}
          placeholder="hf_…"
          aria-label="access token"
        />
      </label>
      <label title="kept in this browser's IndexedDB for this Hub URL; unticked, it is held for this visit only">
        <input type="checkbox" checked={form.rememberToken} onChange={(e) => onRemember(e.target.checked)} /> remember
        the token
      </label>
      <button type="submit" disabled={busy || !form.hubId.trim()}>
        Download
      </button>
    </form>
  );
}

function UrlFields({ form, busy, onForm, onLoadUrl }: ModelLoaderProps) {
  return (
    <form
      className="model-fields"
      onSubmit={(e) => {
        e.preventDefault();
        onLoadUrl();
      }}
    >
      <label>
        base URL{' '}
        <input
          value={form.baseUrl}
          onChange={(e) => onForm({ baseUrl: e.target.value })}
          placeholder="https://example.org/models/my-model"
          aria-label="base URL"
          size={48}
        />
      </label>
      <button type="submit" disabled={busy || !form.baseUrl.trim()}>
        Download
      </button>
    </form>
  );
}

function FolderFields({ busy, onFolder, onError }: ModelLoaderProps) {
  const [over, setOver] = useState(false);
  const take = (f: PickedFolder | null) => (f ? onFolder(f) : undefined);
  const fail = (e: unknown) => onError(`Reading the folder failed: ${(e as Error).message}`);
  return (
    <div
      className={`model-fields drop-zone${over ? ' over' : ''}`}
      data-testid="model-drop-zone"
      role="group"
      aria-label="a model folder: pick it, choose it, or drop it here"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (busy) return;
        folderFromDrop(e.dataTransfer).then(
          (f) => (f ? onFolder(f) : onError("Drop one folder: the model's folder with its config.json")),
          fail,
        );
      }}
    >
      {hasDirectoryPicker() && (
        <button type="button" disabled={busy} onClick={() => void folderFromPicker().then(take, fail)}>
          Pick a folder…
        </button>
      )}
      <label className="file">
        or choose the model's folder
        <input
          type="file"
          {...directoryInput}
          multiple
          disabled={busy}
          data-testid="model-folder-input"
          onChange={(e) => {
            if (e.target.files?.length) onFolder(folderFromInput(e.target.files));
            e.target.value = '';
          }}
        />
      </label>
      <span className="muted">or drop it here. Its files are copied into the cache.</span>
    </div>
  );
}

export const ModelLoader = memo(function ModelLoader(p: ModelLoaderProps) {
  return (
    <div className="model-loader" data-testid="model-loader">
      <fieldset className="model-origin">
        <legend>load a model from</legend>
        {ORIGINS.map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="model-origin"
              checked={p.form.origin === value}
              onChange={() => p.onForm({ origin: value })}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      {p.form.origin === 'hub' && <HubFields {...p} />}
      {p.form.origin === 'url' && <UrlFields {...p} />}
      {p.form.origin === 'folder' && <FolderFields {...p} />}
    </div>
  );
});
