package cases

// DecodeMessage lets the external tests read stored messages as the case
// wrote them (maybe compressed).
var DecodeMessage = decodeMessage
