// `glm-vision xmp`: the sidecars' own problems and the fields to write (the command's summary is cli's).
export default {
  'fields.expected': 'Expected field names for {{flag}} but received {{value}}',
  'fields.unknown': '{{flag}}: the catalog has no field {{field}} (its fields: {{fields}})',

  'sidecar.notXml': '{{file}} is not valid XML ({{why}}); left as it is',
  'sidecar.noRdf': '{{file}} has no rdf:RDF element, so it is not an XMP sidecar; left as it is',
  'sidecar.notRegular': '{{file}} is not a regular file (a device, FIFO or socket?); left alone',
  'sidecar.shared': '{{owner}} and {{image}} would share the sidecar {{sidecar}}; use --sidecar-name photo.jpg.xmp',
  'sidecar.noImage': 'image not found at {{image}} (run from the folder the catalog was made in, or pass --base)',
  'sidecar.cannotRead': 'cannot read {{sidecar}}: {{why}}',
};
