// A structured (json) template with title, description and tags: the fields xmp writes.
export const RECORD_TEMPLATE = `---
name: record
description: test record
max_tokens: 256
temperature: 0
top_p: 1
output: json
schema:
  type: object
  properties:
    title: { type: string }
    description: { type: string }
    tags: { type: array, items: { type: string } }
  required: [title, description, tags]
  additionalProperties: false
---
Catalog this image.
`;
