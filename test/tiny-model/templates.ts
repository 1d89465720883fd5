/**
 * Chat templates with the structure of the real ones (rendered output identical for text, image and system items):
 * Qwen2-VL's ChatML template and GLM-4.5V/4.6V / GLM-OCR's template with the enable_thinking=false switch.
 * Written with explicit whitespace control so they render the same with or without trim_blocks.
 */
import type { ModelType } from './spec.js';

// One tag per line; every tag trims the newline around it.
const lines = (...parts: string[]): string => parts.join('\n');

export function qwenChatTemplate(): string {
  return lines(
    "{%- set counts = namespace(images=0, videos=0) -%}",
    '{%- for message in messages -%}',
    "{%- if loop.first and message['role'] != 'system' -%}",
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' -}}",
    '{%- endif -%}',
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}",
    "{%- if message['content'] is string -%}",
    "{{- message['content'] -}}",
    '{%- else -%}',
    "{%- for content in message['content'] -%}",
    "{%- if content['type'] == 'image' or 'image' in content or 'image_url' in content -%}",
    '{%- set counts.images = counts.images + 1 -%}',
    "{%- if add_vision_id -%}{{- 'Picture ' + (counts.images | string) + ': ' -}}{%- endif -%}",
    "{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}",
    "{%- elif content['type'] == 'video' or 'video' in content -%}",
    '{%- set counts.videos = counts.videos + 1 -%}',
    "{%- if add_vision_id -%}{{- 'Video ' + (counts.videos | string) + ': ' -}}{%- endif -%}",
    "{{- '<|vision_start|><|video_pad|><|vision_end|>' -}}",
    "{%- elif 'text' in content -%}",
    "{{- content['text'] -}}",
    '{%- endif -%}',
    '{%- endfor -%}',
    '{%- endif -%}',
    "{{- '<|im_end|>\\n' -}}",
    '{%- endfor -%}',
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}",
  );
}

/**
 * GLM-4.x-V and GLM-OCR differ only in the generation prompt: 4.5V/4.6V put the empty think block right after
 * `<|assistant|>`, GLM-OCR puts a newline first and one after it.
 */
export function glmChatTemplate(modelType: ModelType): string {
  const generationPrompt =
    modelType === 'glm_ocr'
      ? "{{- '<|assistant|>\\n' -}}{%- if enable_thinking is defined and not enable_thinking -%}{{- '<think></think>\\n' -}}{%- endif -%}"
      : "{{- '<|assistant|>' -}}{%- if enable_thinking is defined and not enable_thinking -%}{{- '\\n<think></think>' -}}{%- endif -%}";
  return lines(
    '[gMASK]<sop>',
    '{%- macro visible_text(content) -%}',
    '{%- if content is string -%}{{- content -}}',
    '{%- elif content is iterable and content is not mapping -%}',
    '{%- for item in content -%}',
    "{%- if item is mapping and item.type == 'text' -%}{{- item.text -}}",
    "{%- elif item is mapping and (item.type == 'image' or 'image' in item) -%}",
    "{{- '<|begin_of_image|><|image|><|end_of_image|>' -}}",
    "{%- elif item is mapping and (item.type == 'video' or 'video' in item) -%}",
    "{{- '<|begin_of_video|><|video|><|end_of_video|>' -}}",
    '{%- elif item is string -%}{{- item -}}',
    '{%- endif -%}',
    '{%- endfor -%}',
    '{%- elif content is none -%}',
    '{%- else -%}{{- content -}}',
    '{%- endif -%}',
    '{%- endmacro -%}',
    '{%- set ns = namespace(last_user_index=-1) -%}',
    "{%- for m in messages -%}{%- if m.role == 'user' -%}{%- set ns.last_user_index = loop.index0 -%}{%- endif -%}{%- endfor -%}",
    '{%- for m in messages -%}',
    "{%- if m.role == 'user' -%}",
    '{%- set text = visible_text(m.content) -%}',
    "{{- '<|user|>\\n' + text -}}",
    "{%- if enable_thinking is defined and not enable_thinking and not text.endswith('/nothink') -%}{{- '/nothink' -}}{%- endif -%}",
    "{%- elif m.role == 'assistant' -%}",
    "{{- '<|assistant|>' -}}",
    '{%- set content = visible_text(m.content) -%}',
    "{%- set reasoning = '' -%}",
    '{%- if m.reasoning_content is string -%}',
    '{%- set reasoning = m.reasoning_content -%}',
    "{%- elif '</think>' in content -%}",
    "{%- set reasoning = ((content.split('</think>') | first).rstrip('\\n').split('<think>') | last).lstrip('\\n') -%}",
    "{%- set content = (content.split('</think>') | last).lstrip('\\n') -%}",
    '{%- endif -%}',
    '{%- if loop.index0 > ns.last_user_index and reasoning -%}',
    "{{- '\\n<think>' + reasoning.strip() + '</think>' -}}",
    "{%- else -%}{{- '\\n<think></think>' -}}{%- endif -%}",
    "{%- if content.strip() -%}{{- '\\n' + content.strip() -}}{%- endif -%}",
    "{%- elif m.role == 'system' -%}",
    "{{- '<|system|>\\n' + visible_text(m.content) -}}",
    '{%- endif -%}',
    '{%- endfor -%}',
    '{%- if add_generation_prompt -%}',
    generationPrompt,
    '{%- endif -%}',
  );
}
