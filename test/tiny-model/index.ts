/** Tiny random-weight Qwen2-VL / GLM vision-language models in the real ONNX file layout, for tests and benches. */
export { generateTinyModel, tinyModelFiles } from './generate.js';
export { resolveSpec } from './spec.js';
export { preprocessorConfig } from './configs.js';
export type { ChatTemplatePlace, DtypeSuffix, Family, GraphName, ModelType, PreprocessorLayout, TinyModelOptions, TinySpec } from './spec.js';
export { float16ToFloat32, float32ToFloat16 } from './fp16.js';
