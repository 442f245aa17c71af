// Copies text to the clipboard and says how it went ("Copied.", or why not), for the bench page's Markdown copies.
import { useState } from 'react';

export function useCopy(): [said: string, copy: (text: string) => Promise<void>] {
  const [said, setSaid] = useState('');
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied.');
    } catch (e) {
      setSaid(`Could not copy (${(e as Error).message}); select the tables instead.`);
    }
  };
  return [said, copy];
}
