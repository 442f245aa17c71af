// A model's chat template, rendered with @huggingface/jinja as transformers' apply_chat_template does: the
// messages, add_generation_prompt and the special-token strings (bos_token, eos_token, …) as variables.
// The template comes from chat_template.jinja when present, else tokenizer_config.json's `chat_template`
// (a string, or a list of {name, template} where "default" is the one used). Leaves out tools, documents
// and template-specific switches (Qwen3's enable_thinking keeps its template's default).
import { Template } from '@huggingface/jinja';
import type { ChatMessage, ChatTemplate } from '../text_tokenizer';

/** Where a template's text came from, named in every error about it. */
export interface TemplateSource {
  file: string;
  text: string;
}

/** The template text in tokenizer_config.json's `chat_template`, or null when it has none. */
export function configTemplate(chatTemplate: unknown): TemplateSource | null {
  const file = 'tokenizer_config.json';
  if (chatTemplate === undefined || chatTemplate === null) return null;
  if (typeof chatTemplate === 'string') return { file, text: chatTemplate };
  if (!Array.isArray(chatTemplate))
    throw new Error(`${file}: chat_template must be a string or a list of {name, template}`);
  const named = chatTemplate.map((t: unknown, k) => {
    const e = (t ?? {}) as { name?: unknown; template?: unknown };
    if (typeof e.name !== 'string' || typeof e.template !== 'string')
      throw new Error(`${file}: chat_template[${k}] is not a {name, template} pair of strings`);
    return { name: e.name, template: e.template };
  });
  const chosen = named.find((t) => t.name === 'default');
  if (!chosen)
    throw new Error(
      `${file}: chat_template lists ${named.map((t) => JSON.stringify(t.name)).join(', ') || 'no templates'} ` +
        'but no "default" one',
    );
  return { file: `${file} (chat_template "default")`, text: chosen.template };
}

/** Parses the template now, so a broken one fails at load naming its file, not at the first judgement. */
export function chatTemplate(source: TemplateSource, specialTokens: Record<string, string>): ChatTemplate {
  let template: Template;
  try {
    template = new Template(source.text);
  } catch (e) {
    throw new Error(`${source.file}: the chat template does not parse: ${(e as Error).message}`);
  }
  return {
    render(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string {
      try {
        return template.render({
          ...specialTokens,
          messages: messages.map((m) => ({ ...m })),
          add_generation_prompt: opts.addGenerationPrompt,
        });
      } catch (e) {
        throw new Error(`${source.file}: the chat template failed: ${(e as Error).message}`);
      }
    },
  };
}
