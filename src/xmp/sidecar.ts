// Builds an XMP sidecar, or merges our fields into an existing one without
// losing anything: other properties, other languages and the user's keywords
// stay, and a title or description someone edited is kept unless asked.
import { createHash } from 'node:crypto';
import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { t } from '../i18n/index.js';
import { isProvenanceNote, isReviewedNote, type XmpFields } from './fields.js';

const NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  lr: 'http://ns.adobe.com/lightroom/1.0/',
  photoshop: 'http://ns.adobe.com/photoshop/1.0/',
  /** Our own record of what we wrote, so a later run can tell our text from an edit. */
  glmv: 'urn:glm-vision:xmp:1.0/',
  xml: 'http://www.w3.org/XML/1998/namespace',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;
type Prefix = Exclude<keyof typeof NS, 'xml' | 'xmlns'>;

const EMPTY = `<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""/>
 </rdf:RDF>
</x:xmpmeta>
`;

/** A sidecar we must not touch (not XML, not XMP). */
export class SidecarError extends Error {
  override name = 'SidecarError';
}

export interface MergeOutcome {
  xml: string;
  /** Fields left as they were because someone else wrote them (without --overwrite). */
  kept: ('title' | 'description' | 'note')[];
}

const fingerprint = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

function parse(text: string, file: string): Document {
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new SidecarError(message);
      },
    }).parseFromString(text, 'text/xml');
  } catch (error) {
    throw new SidecarError(t('xmp:sidecar.notXml', { file, why: (error as Error).message.split('\n')[0] }));
  }
}

const children = (el: Element, ns: string, local: string): Element[] =>
  Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local);

class Packet {
  readonly descriptions: Element[];
  private readonly target: Element;

  constructor(readonly doc: Document, file: string) {
    const rdf = doc.getElementsByTagNameNS(NS.rdf, 'RDF')[0];
    if (!rdf) throw new SidecarError(t('xmp:sidecar.noRdf', { file }));
    this.descriptions = children(rdf, NS.rdf, 'Description');
    let target = this.descriptions[0];
    if (!target) {
      target = doc.createElementNS(NS.rdf, 'rdf:Description');
      target.setAttributeNS(NS.rdf, 'rdf:about', '');
      rdf.appendChild(target);
      this.descriptions.push(target);
    }
    this.target = target;
  }

  /** A prefix bound to `ns` on the target, declaring ours when there is none. */
  private prefix(p: Prefix): string {
    const bound = this.target.lookupPrefix(NS[p]);
    if (bound) return bound;
    let name: string = p;
    for (let i = 2; this.target.lookupNamespaceURI(name) !== null; i++) name = `${p}${i}`;
    this.target.setAttributeNS(NS.xmlns, `xmlns:${name}`, NS[p]);
    return name;
  }

  private create(p: Prefix, local: string): Element {
    return this.doc.createElementNS(NS[p], `${this.prefix(p)}:${local}`);
  }

  /** Appends on its own indented line, before the closing tag's whitespace. */
  private append(parent: Element, child: Element, depth: number): void {
    const last = parent.lastChild;
    const indent = this.doc.createTextNode(`\n${' '.repeat(depth)}`);
    if (last && last.nodeType === 3 && /^\s*$/.test(last.nodeValue ?? '')) {
      parent.insertBefore(indent, last);
      parent.insertBefore(child, last);
    } else {
      parent.appendChild(indent);
      parent.appendChild(child);
      parent.appendChild(this.doc.createTextNode(`\n${' '.repeat(depth - 1)}`));
    }
  }

  private find(p: Prefix, local: string): Element | undefined {
    for (const d of this.descriptions) {
      const found = children(d, NS[p], local)[0];
      if (found) return found;
    }
    return undefined;
  }

  /** The x-default (else first) text of a simple or language-alternative property. */
  read(p: Prefix, local: string): string | undefined {
    for (const d of this.descriptions) {
      const attr = d.getAttributeNodeNS(NS[p], local);
      if (attr) return attr.value;
    }
    const el = this.find(p, local);
    if (!el) return undefined;
    const alt = children(el, NS.rdf, 'Alt')[0];
    if (!alt) return el.textContent ?? '';
    const items = children(alt, NS.rdf, 'li');
    const chosen = items.find((li) => li.getAttributeNS(NS.xml, 'lang') === 'x-default') ?? items[0];
    return chosen?.textContent ?? undefined;
  }

  private dropAttribute(p: Prefix, local: string): void {
    for (const d of this.descriptions) if (d.hasAttributeNS(NS[p], local)) d.removeAttributeNS(NS[p], local);
  }

  writeSimple(p: Prefix, local: string, value: string): void {
    this.dropAttribute(p, local);
    const el = this.find(p, local) ?? this.create(p, local);
    while (el.firstChild) el.removeChild(el.firstChild);
    el.appendChild(this.doc.createTextNode(value));
    if (!el.parentNode) this.append(this.target, el, 3);
  }

  /** Sets the x-default item; the other languages stay. */
  writeLangAlt(p: Prefix, local: string, value: string): void {
    this.dropAttribute(p, local);
    const el = this.find(p, local);
    let alt = el ? children(el, NS.rdf, 'Alt')[0] : undefined;
    if (!el || !alt) {
      const fresh = this.create(p, local);
      alt = this.doc.createElementNS(NS.rdf, 'rdf:Alt');
      this.append(fresh, alt, 4);
      if (el) el.parentNode?.replaceChild(fresh, el);
      else this.append(this.target, fresh, 3);
    }
    let item = children(alt, NS.rdf, 'li').find((li) => li.getAttributeNS(NS.xml, 'lang') === 'x-default');
    if (!item) {
      item = this.doc.createElementNS(NS.rdf, 'rdf:li');
      item.setAttributeNS(NS.xml, 'xml:lang', 'x-default');
      const first = children(alt, NS.rdf, 'li')[0];
      if (first) alt.insertBefore(item, first);
      else this.append(alt, item, 5);
    }
    while (item.firstChild) item.removeChild(item.firstChild);
    item.appendChild(this.doc.createTextNode(value));
  }

  /** Adds the items the bag lacks; returns those added. */
  addToBag(p: Prefix, local: string, items: readonly string[]): string[] {
    if (items.length === 0) return [];
    const el = this.find(p, local);
    let bag = el ? (children(el, NS.rdf, 'Bag')[0] ?? children(el, NS.rdf, 'Seq')[0]) : undefined;
    if (!el || !bag) {
      const fresh = this.create(p, local);
      bag = this.doc.createElementNS(NS.rdf, 'rdf:Bag');
      this.append(fresh, bag, 4);
      // A malformed (bag-less) property keeps its text as the first item.
      const old = el?.textContent?.trim();
      if (el) el.parentNode?.replaceChild(fresh, el);
      else this.append(this.target, fresh, 3);
      if (old) {
        // Someone else's, not one we add.
        this.appendItem(bag, old);
        if (items.includes(old)) items = items.filter((i) => i !== old);
      }
    }
    const have = new Set(children(bag, NS.rdf, 'li').map((li) => li.textContent ?? ''));
    const added: string[] = [];
    for (const item of items) {
      if (have.has(item)) continue;
      have.add(item);
      this.appendItem(bag, item);
      added.push(item);
    }
    return added;
  }

  private appendItem(bag: Element, item: string): void {
    const li = this.doc.createElementNS(NS.rdf, 'rdf:li');
    li.appendChild(this.doc.createTextNode(item));
    this.append(bag, li, 5);
  }

  /** The items of a bag (or sequence) property; none when it is absent. */
  readBag(p: Prefix, local: string): string[] {
    const el = this.find(p, local);
    const bag = el ? (children(el, NS.rdf, 'Bag')[0] ?? children(el, NS.rdf, 'Seq')[0]) : undefined;
    return bag ? children(bag, NS.rdf, 'li').map((li) => li.textContent ?? '') : [];
  }

  /** Takes a node out together with the indentation before it. */
  private detach(node: Element): void {
    const parent = node.parentNode;
    if (!parent) return;
    const before = node.previousSibling;
    if (before && before.nodeType === 3 && /^\s*$/.test(before.nodeValue ?? '')) parent.removeChild(before);
    parent.removeChild(node);
  }

  /** Removes a property, as an element or an attribute; true when there was one. */
  remove(p: Prefix, local: string): boolean {
    let removed = false;
    for (const d of this.descriptions) {
      if (d.hasAttributeNS(NS[p], local)) {
        d.removeAttributeNS(NS[p], local);
        removed = true;
      }
      for (const el of children(d, NS[p], local)) {
        this.detach(el);
        removed = true;
      }
    }
    return removed;
  }

  /**
   * After removals: our namespace declared where nothing of ours is left goes, and so do the
   * descriptions left empty (exiftool writes one per namespace); the first one always stays.
   */
  tidy(): void {
    for (const [i, d] of this.descriptions.entries()) {
      const ours = Array.from(d.childNodes).some((n) => n.nodeType === 1 && (n as Element).namespaceURI === NS.glmv) ||
        Array.from(d.attributes).some((a) => a.namespaceURI === NS.glmv);
      if (!ours) for (const a of Array.from(d.attributes)) if (a.namespaceURI === NS.xmlns && a.value === NS.glmv) d.removeAttributeNode(a);
      const empty = !Array.from(d.childNodes).some((n) => n.nodeType === 1) &&
        Array.from(d.attributes).every((a) => a.namespaceURI === NS.xmlns || (a.namespaceURI === NS.rdf && a.localName === 'about'));
      if (i > 0 && empty) this.detach(d);
    }
  }

  /** Removes the x-default text of a language alternative (the other languages stay); the property goes when nothing is left. */
  removeDefault(p: Prefix, local: string): void {
    const el = this.find(p, local);
    const alt = el ? children(el, NS.rdf, 'Alt')[0] : undefined;
    if (!el || !alt) {
      this.remove(p, local);
      return;
    }
    const items = children(alt, NS.rdf, 'li');
    const item = items.find((li) => li.getAttributeNS(NS.xml, 'lang') === 'x-default') ?? items[0];
    if (item) this.detach(item);
    if (children(alt, NS.rdf, 'li').length === 0) this.detach(el);
  }

  /** Removes these items from a bag; the property goes when it is left empty. Returns how many went. */
  removeFromBag(p: Prefix, local: string, items: readonly string[]): number {
    const el = this.find(p, local);
    const bag = el ? (children(el, NS.rdf, 'Bag')[0] ?? children(el, NS.rdf, 'Seq')[0]) : undefined;
    if (!el || !bag || items.length === 0) return 0;
    const drop = new Set(items);
    let removed = 0;
    for (const li of children(bag, NS.rdf, 'li')) {
      if (!drop.has(li.textContent ?? '')) continue;
      this.detach(li);
      removed++;
    }
    if (children(bag, NS.rdf, 'li').length === 0) this.detach(el);
    return removed;
  }

  serialize(original: string | undefined): string {
    const body = new XMLSerializer().serializeToString(this.doc);
    const declared = original === undefined || /^\uFEFF?<\?xml\s/.test(original);
    return declared && !body.startsWith('<?xml') ? `<?xml version="1.0" encoding="UTF-8"?>\n${body}` : body;
  }
}

/**
 * The sidecar text with `fields` merged in. `existing` is the current sidecar's text, if any;
 * `overwrite` replaces a title, description or note that someone else wrote.
 */
export function mergeSidecar(existing: string | undefined, fields: XmpFields, model: string, overwrite: boolean, file: string): MergeOutcome {
  const packet = new Packet(parse(existing ?? EMPTY, file), file);
  const kept: MergeOutcome['kept'] = [];
  let wroteText = false;
  for (const local of ['title', 'description'] as const) {
    const value = fields[local];
    const current = packet.read('dc', local);
    if (value === undefined || value === current) continue;
    const ours = current !== undefined && packet.read('glmv', `${local}Sha`) === fingerprint(current);
    if (current && current.trim() !== '' && !ours && !overwrite) {
      kept.push(local);
      continue;
    }
    packet.writeLangAlt('dc', local, value);
    packet.writeSimple('glmv', `${local}Sha`, fingerprint(value));
    wroteText = true;
  }
  // The keywords we add are recorded, so that a review can take back ours and only ours.
  let keywordsDropped = 0;
  if (fields.reviewed) {
    // A reviewed list is the list: keywords we added for an earlier answer and it lacks go.
    for (const [p, local, wanted] of [['dc', 'subject', fields.keywords], ['lr', 'hierarchicalSubject', fields.hierarchical]] as const) {
      const stale = packet.readBag('glmv', `${local}Added`).filter((k) => !wanted.includes(k));
      keywordsDropped += packet.removeFromBag(p, local, stale);
      packet.removeFromBag('glmv', `${local}Added`, stale);
    }
  }
  const keywordsAdded = packet.addToBag('dc', 'subject', fields.keywords);
  const pathsAdded = packet.addToBag('lr', 'hierarchicalSubject', fields.hierarchical);
  packet.addToBag('glmv', 'subjectAdded', keywordsAdded);
  packet.addToBag('glmv', 'hierarchicalSubjectAdded', pathsAdded);
  const note = packet.read('photoshop', 'Instructions');
  const theirs = note !== undefined && note.trim() !== '' && !isProvenanceNote(note);
  // A reviewed note is dated by the decision, so it can be kept up to date without a nightly rewrite;
  // the unreviewed note, dated the day of writing, changes only with the text.
  const noteDue = note !== fields.note && (!theirs || overwrite) && (isReviewedNote(fields.note) || isReviewedNote(note ?? ''));
  if (!wroteText && keywordsAdded.length === 0 && pathsAdded.length === 0 && keywordsDropped === 0 && !noteDue) {
    // Nothing new: the file stays byte for byte, so nightly re-runs leave sidecars alone.
    return { xml: existing ?? packet.serialize(existing), kept };
  }
  if (theirs && !overwrite) kept.push('note');
  else packet.writeSimple('photoshop', 'Instructions', fields.note);
  packet.writeSimple('glmv', 'vlmModel', model);
  return { xml: packet.serialize(existing), kept };
}

/**
 * The sidecar text without what we wrote for an answer since rejected: our title and description
 * where nobody edited them (other languages stay), our provenance note, the keywords we added, and
 * our own records. Someone else's text and keywords stay. Undefined when nothing of ours is there.
 */
export function withdrawFromSidecar(existing: string, file: string): string | undefined {
  const packet = new Packet(parse(existing, file), file);
  let changed = false;
  for (const local of ['title', 'description'] as const) {
    const current = packet.read('dc', local);
    if (current !== undefined && packet.read('glmv', `${local}Sha`) === fingerprint(current)) {
      packet.removeDefault('dc', local);
      changed = true;
    }
    changed = packet.remove('glmv', `${local}Sha`) || changed;
  }
  const note = packet.read('photoshop', 'Instructions');
  if (note !== undefined && isProvenanceNote(note)) changed = packet.remove('photoshop', 'Instructions') || changed;
  for (const [p, local] of [['dc', 'subject'], ['lr', 'hierarchicalSubject']] as const) {
    const ours = packet.readBag('glmv', `${local}Added`);
    packet.removeFromBag(p, local, ours);
    changed = packet.remove('glmv', `${local}Added`) || changed;
  }
  changed = packet.remove('glmv', 'vlmModel') || changed;
  if (!changed) return undefined;
  packet.tidy();
  return packet.serialize(existing);
}
