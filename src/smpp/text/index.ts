export {
  type DataCodingCharset,
  type DataCodingInfo,
  type Dcs0Charset,
  type DecodedEncoding,
  type DecodedText,
  decodeShortMessage,
  describeDataCoding,
  toHex,
} from "./data-coding.js";
export { assertEncodable, chooseEncoding, findUnencodable, type RequestedEncoding } from "./encoding.js";
export {
  InconsistentPartsError,
  MalformedUdhError,
  type TextEncoding,
  TooManySegmentsError,
  UnencodableCharacterError,
} from "./errors.js";
export {
  decodeGsm7,
  decodeGsm7Packed,
  encodeGsm7,
  encodeGsm7Packed,
  findNonGsm7,
  GSM7_BASIC_TABLE,
  GSM7_ESCAPE,
  GSM7_EXTENSION_TABLE,
  gsm7Cost,
  gsm7FillBits,
  gsm7Length,
  packSeptets,
  unpackSeptets,
} from "./gsm7.js";
export { decodeLatin1, encodeAscii, encodeLatin1 } from "./latin1.js";
export { type CollectedPart, type ReassemblyResult, reassemble } from "./reassemble.js";
export {
  countSegments,
  type LongMessageMode,
  MAX_SEGMENTS,
  type PreviewPart,
  previewSegments,
  type SarTlvs,
  type SegmentedText,
  type SegmentOptions,
  type SegmentPart,
  type SegmentPreview,
  type SegmentTextOptions,
  segmentLimits,
  segmentText,
} from "./segment.js";
export { decodeUcs2, encodeUcs2 } from "./ucs2.js";
export {
  buildConcatUdh,
  buildUdh,
  type ConcatIe,
  IEI_CONCAT_8,
  IEI_CONCAT_16,
  IEI_PORTS_8,
  IEI_PORTS_16,
  type PortsIe,
  parseUdh,
  type Udh,
  type UdhElement,
} from "./udh.js";
export {
  type ConcatInfo,
  decodeUserData,
  ESM_UDHI,
  extractConcatInfo,
  type ShortMessageLike,
  splitUserData,
  type UserData,
} from "./user-data.js";
