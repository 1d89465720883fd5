// The text side of the onnx backend: tokenizer, chat template, image placeholders, streaming detokenisation.
// It runs on the main thread, so the model worker's heap, which V8 marks again at every GC that the
// per-step output tensors set off, stays small.
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { UsageError } from '../../support/errors.js';
import { t } from '../../i18n/index.js';
import { expandImageTokens } from './image-tokens.js';
import { IncrementalDecoder, type StreamDecoder } from './stream-decoder.js';
import { findChatTemplate, readRequiredJson, tokenContent, type Json } from './tokenizer-files.js';

export type { StreamDecoder } from './stream-decoder.js';

export interface ChatMessage {
  system?: string;
  user: string;
}

export interface TextCodecOptions {
  imageTokenId: number;
  family: 'qwen2_vl' | 'glm';
}

const IMAGE_TOKEN: Record<TextCodecOptions['family'], string> = {
  qwen2_vl: '<|image_pad|>',
  glm: '<|image|>',
};

// Passed to the template like transformers(.js) does.
const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

export class TextCodec {
  private readonly prompts = new Map<string, number[]>();

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly template: Template,
    private readonly templateWhere: string,
    private readonly specialTokens: Record<string, string>,
    private readonly specialIds: ReadonlySet<number>,
    readonly imageTokenId: number,
  ) {}

  static async load(dir: string, options: TextCodecOptions): Promise<TextCodec> {
    const tokenizerFile = path.join(dir, 'tokenizer.json');
    const configFile = path.join(dir, 'tokenizer_config.json');
    const [tokenizerJson, tokenizerConfig] = await Promise.all([readRequiredJson(tokenizerFile), readRequiredJson(configFile)]);

    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new UsageError(t('engine:tokenizer.build', { file: tokenizerFile, why: (error as Error).message }));
    }

    const { source, where } = await findChatTemplate(dir, tokenizerConfig);
    let template: Template;
    try {
      template = new Template(source);
    } catch (error) {
      throw new UsageError(t('engine:template.parse', { where, why: (error as Error).message }));
    }

    const imageToken = tokenizer.id_to_token(options.imageTokenId);
    if (imageToken === undefined) {
      throw new UsageError(t('engine:tokenizer.image_token', { id: options.imageTokenId, file: tokenizerFile, token: IMAGE_TOKEN[options.family] }));
    }

    const specialTokens: Record<string, string> = {};
    for (const key of SPECIAL_TOKEN_KEYS) {
      const content = tokenContent(tokenizerConfig[key]);
      if (content) specialTokens[key] = content;
    }

    // Our own set: the library's skip_special_tokens does a linear list scan per token.
    const specialIds = new Set<number>();
    for (const [id, token] of tokenizer.get_added_tokens_decoder()) if (token.special) specialIds.add(id);
    const extra = tokenizerConfig.additional_special_tokens;
    if (Array.isArray(extra)) {
      for (const entry of extra) {
        const content = tokenContent(entry);
        const id = content === undefined ? undefined : tokenizer.token_to_id(content);
        if (id !== undefined) specialIds.add(id);
      }
    }

    return new TextCodec(tokenizer, template, where, specialTokens, specialIds, options.imageTokenId);
  }

  /** The model's chat template with images first in the user turn, generation prompt on, thinking off. */
  renderChat(message: ChatMessage, images: number): string {
    const messages: Json[] = [];
    if (message.system !== undefined) messages.push({ role: 'system', content: message.system });
    const content: Json[] = [];
    for (let i = 0; i < images; i++) content.push({ type: 'image' });
    content.push({ type: 'text', text: message.user });
    messages.push({ role: 'user', content });
    try {
      return this.template.render({
        messages,
        add_generation_prompt: true,
        enable_thinking: false,
        tools: null,
        documents: null,
        ...this.specialTokens,
      });
    } catch (error) {
      throw new UsageError(t('engine:template.render', { where: this.templateWhere, why: (error as Error).message }));
    }
  }

  /** Special tokens written in the text become their ids; nothing is added around it. */
  encode(text: string): number[] {
    // add_special_tokens: false, or GLM's post-processor would prepend [gMASK]<sop> a second time.
    const { ids, tokens } = this.tokenizer.encode(text, { add_special_tokens: false });
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === undefined) throw new Error(`the tokenizer has no id for the piece ${JSON.stringify(tokens[i])}`);
    }
    return ids;
  }

  /** Each image token (one per image, in order) becomes tokensPerImage[i] copies of itself. */
  expandImages(ids: readonly number[], tokensPerImage: readonly number[]): number[] {
    return expandImageTokens(ids, tokensPerImage, this.imageTokenId);
  }

  /** The chat-templated prompt's ids with one image placeholder: the same for most requests of a run. */
  promptIds(system: string | undefined, prompt: string): number[] {
    const key = `${system ?? ''}\0${prompt}`;
    let ids = this.prompts.get(key);
    if (!ids) {
      ids = this.encode(this.renderChat({ system, user: prompt }, 1));
      // Templates with per-file variables make every prompt new: keep the cache small.
      if (this.prompts.size >= 64) this.prompts.delete(this.prompts.keys().next().value as string);
      this.prompts.set(key, ids);
    }
    return ids;
  }

  /** Text of the ids, special tokens skipped. */
  decode(ids: readonly number[]): string {
    return this.decodePlain(ids.filter((id) => !this.specialIds.has(id)));
  }

  /** Incremental decoding that never cuts a character in half. */
  streamDecoder(): StreamDecoder {
    return new IncrementalDecoder(
      (ids) => this.decodePlain(ids),
      (id) => this.specialIds.has(id),
    );
  }

  /** Whether the id is a special token (skipped by decode). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  private decodePlain(ids: readonly number[]): string {
    if (ids.length === 0) return ''; // the library throws on an empty list
    // clean_up_tokenization_spaces off: it is lossy and would make streamed text differ from decode().
    return this.tokenizer.decode(ids as number[], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}
