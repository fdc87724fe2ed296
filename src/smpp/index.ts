export { type DecodeOptions, decodePdu, emptyPdu, encodePdu, replyToDecodeError } from "./codec.js";
export {
  CommandId,
  type CommandName,
  commandName,
  isResponseId,
  type RequestName,
  type ResponseName,
  type ResponseNameOf,
  ResponseOf,
  responseNameOf,
} from "./commands.js";
export { FramingError, SmppDecodeError, SmppEncodeError } from "./errors.js";
export { Framer, type FramerOptions } from "./framer.js";
export {
  type DestAddress,
  type FieldDef,
  type FieldKind,
  PDU_BODIES,
  type Pdu,
  type PduBody,
  type PduOf,
  type UnsuccessSme,
} from "./pdu.js";
export {
  CommandStatus,
  type CommandStatusName,
  isTransient,
  type RetryClass,
  SmppStatusError,
  type StatusInfo,
  statusInfo,
} from "./status.js";
export {
  type MalformedTlv,
  type NetworkErrorCode,
  TLV_DEFS,
  type TlvDef,
  type TlvKind,
  type TlvName,
  type Tlvs,
  TlvTag,
  type UnknownTlv,
} from "./tlv.js";
