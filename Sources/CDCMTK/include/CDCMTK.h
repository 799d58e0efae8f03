// CDCMTK: a C surface over DCMTK for Swift.
//
// Every function is noexcept and reports failures through the caller-owned CDcmStatus, carrying
// DCMTK's own condition text. The bridge only marshals: which files to accept, how stored bytes
// become pixel values and what errors mean is decided in Swift.
#ifndef CDCMTK_H
#define CDCMTK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which kind of failure a bridge call hit.
typedef enum CDcmFailure {
  CDCM_OK = 0,
  CDCM_META_HEADER_MISSING,  ///< no "DICM" preamble and file meta information
  CDCM_PREMATURE_END,        ///< the stream ended inside an element: truncated or still being written
  CDCM_TAG_NOT_FOUND,        ///< the requested element is absent
  CDCM_CANNOT_DECODE,        ///< no codec can change the pixel data to a native representation
  CDCM_IMAGE_STATUS,         ///< a pixel-level call refused the data (message holds DCMTK's text)
  CDCM_OTHER_CONDITION,      ///< any other DCMTK condition
  CDCM_EXCEPTION,            ///< a C++ exception was caught at the boundary
} CDcmFailure;

typedef struct CDcmStatus {
  CDcmFailure failure;
  char message[1024];
} CDcmStatus;

/// A loaded file (DcmFileFormat). Owned by the caller: release with cdcm_close.
typedef struct CDcmFile CDcmFile;
/// A dataset, the file meta information or a sequence item inside a file (DcmItem). Borrowed: valid
/// while its file is open.
typedef struct CDcmItem CDcmItem;

/// The transfer syntax a dataset was read in, as DCMTK knows it (DcmXfer).
typedef struct CDcmTransferSyntax {
  char uid[65];          ///< DCMTK's UID for it, empty when DCMTK does not know it
  char name[96];         ///< DCMTK's name for it ("JPEG Lossless, Non-hierarchical, ...")
  bool known;            ///< DCMTK knows this transfer syntax
  bool encapsulated;     ///< pixel data is a sequence of compressed fragments
  bool big_endian;       ///< values are stored big endian
  bool deflated;         ///< the dataset is deflate-compressed
  bool codec_registered; ///< a registered DCMTK codec can decode it (DcmCodecList::canChangeCoding)
} CDcmTransferSyntax;

/// What the Pixel Data element (7FE0,0010) of a dataset holds.
typedef struct CDcmPixelDataInfo {
  bool present;         ///< the element exists
  bool encapsulated;    ///< stored as a pixel sequence (compressed fragments)
  uint32_t length;      ///< native: the value length in bytes
  bool words;           ///< native: the value is stored as 16-bit words (VR OW)
  uint32_t items;       ///< encapsulated: number of items, the Basic Offset Table first
  bool float_present;   ///< Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) exists
} CDcmPixelDataInfo;

/// DCMTK's version string ("3.6.7").
const char *cdcm_version(void);
/// Registers the JPEG and RLE decoders exactly once (JPEG-LS goes to CharLS 2, not DCMTK's embedded
/// CharLS 1.0, which aborts on damaged data) (thread-safe), and makes DCMTK read
/// defined-length UN elements with their data dictionary VR (dcmEnableUnknownVRConversion).
void cdcm_initialize(void);
/// Whether DCMTK's data dictionary is loaded; without it no tag names or VRs can be resolved.
bool cdcm_dictionary_loaded(void);

/// Reads a DICOM file. Element values longer than 4 KiB (the pixel data above all) stay in the file
/// until they are read. Files without the Part 10 preamble and file meta information are refused.
CDcmFile *cdcm_open(const char *path, CDcmStatus *status);
void cdcm_close(CDcmFile *file);

/// The main dataset of `file`.
const CDcmItem *cdcm_dataset(const CDcmFile *file);
/// The file meta information (group 0x0002) of `file`.
const CDcmItem *cdcm_meta_information(const CDcmFile *file);
/// Item `index` of the sequence element (group, element) of `item`, or NULL when there is none.
const CDcmItem *cdcm_sequence_item(const CDcmItem *item, uint16_t group, uint16_t element, uint32_t index);
/// The number of items of the sequence element (group, element) of `item`, 0 when absent.
uint32_t cdcm_sequence_count(const CDcmItem *item, uint16_t group, uint16_t element);

/// Copies the value of a string-valued element of `item` into `buffer`, NUL-terminated and cut at
/// `capacity`. Returns the full length.
size_t cdcm_get_string(const CDcmItem *item, uint16_t group, uint16_t element, char *buffer, size_t capacity,
                       CDcmStatus *status);
/// Reads value `index` of a numeric element (any numeric VR, or DS/IS) as a double.
double cdcm_get_float64(const CDcmItem *item, uint16_t group, uint16_t element, uint32_t index,
                        CDcmStatus *status);
/// The value multiplicity of an element, 0 when absent or empty.
uint32_t cdcm_value_count(const CDcmItem *item, uint16_t group, uint16_t element);
/// Whether `item` contains the element (group, element), empty or not.
bool cdcm_contains(const CDcmItem *item, uint16_t group, uint16_t element);
/// Copies up to `capacity` bytes of the value of a binary element (OB, OW, US, ...) into `buffer`, in
/// little-endian byte order when `little_endian`, else in big-endian order (multi-byte values are
/// swapped by the element's VR). Returns the full value length in bytes.
size_t cdcm_get_bytes(const CDcmItem *item, uint16_t group, uint16_t element, bool little_endian, void *buffer,
                      size_t capacity, CDcmStatus *status);

/// The transfer syntax the dataset of `file` was read in.
void cdcm_transfer_syntax(const CDcmFile *file, CDcmTransferSyntax *out);
/// Whether DCMTK knows `uid` as a transfer syntax (DcmXfer); for one it does not, it guesses the
/// dataset's encoding from the data.
bool cdcm_transfer_syntax_known(const char *uid);
/// Whether `uid` is one of the image storage SOP classes DCMTK lists (dcmImageSOPClassUIDs).
bool cdcm_is_image_sop_class(const char *uid);
/// DCMTK's name of a UID ("CRImageStorage"), or NULL when it has none.
const char *cdcm_uid_name(const char *uid);

/// Describes the Pixel Data element of the dataset of `file`.
void cdcm_pixel_data_info(const CDcmFile *file, CDcmPixelDataInfo *info, CDcmStatus *status);
/// Copies `length` bytes of native (uncompressed) Pixel Data, from byte `offset`, into `buffer`,
/// exactly as they are stored in the file (the transfer syntax's byte order, nothing swapped). Reads
/// only those bytes from the file.
void cdcm_read_native_pixels(const CDcmFile *file, uint32_t offset, uint32_t length, void *buffer,
                             CDcmStatus *status);
/// Item `index` of the encapsulated Pixel Data (0 is the Basic Offset Table). `*bytes` is borrowed and
/// valid while the file is open. Returns the item's length.
size_t cdcm_pixel_item(const CDcmFile *file, uint32_t index, const uint8_t **bytes, CDcmStatus *status);
/// The size in bytes of one decoded frame as DCMTK computes it (DcmElement::getUncompressedFrameSize).
uint32_t cdcm_uncompressed_frame_size(const CDcmFile *file, CDcmStatus *status);
/// Decodes frame `frame` of encapsulated Pixel Data with the registered DCMTK codec
/// (DcmPixelData::getUncompressedFrame) into `buffer` (host byte order). `color_model` receives the
/// photometric interpretation of the decoded samples, which a codec may change (YBR to RGB).
void cdcm_decode_frame(const CDcmFile *file, uint32_t frame, void *buffer, size_t capacity, char *color_model,
                       size_t color_model_capacity, CDcmStatus *status);

/// Writes a copy of the dataset of `source` to `path` as a Part 10 file in transfer syntax
/// `transfer_syntax_uid` (an encapsulated one), its Pixel Data replaced by an empty Basic Offset
/// Table and one fragment per frame (`frames[i]`, `sizes[i]` bytes). For fixtures and benchmarks.
void cdcm_save_encapsulated(const CDcmFile *source, const char *transfer_syntax_uid, const uint8_t *const *frames,
                            const size_t *sizes, uint32_t count, const char *path, CDcmStatus *status);

/// Registers DCMTK's JPEG encoders (DJEncoderRegistration, true lossless mode) and its RLE encoder
/// (DcmRLEEncoderRegistration) exactly once (thread-safe); also calls cdcm_initialize. Encoders keep
/// the SOP Instance UID of lossless output.
void cdcm_initialize_encoders(void);
/// Creates an empty file (DcmFileFormat) to fill with cdcm_put_string, cdcm_put_uint16 and
/// cdcm_put_pixel_data16 and write with cdcm_save. Owned by the caller: release with cdcm_close.
CDcmFile *cdcm_create(CDcmStatus *status);
/// Puts the value of the element (group, element) into the dataset of `file`, replacing any earlier one:
/// DcmItem::putAndInsertString with the data dictionary's VR; several values are separated by "\".
/// An empty string makes an empty element.
void cdcm_put_string(CDcmFile *file, uint16_t group, uint16_t element, const char *value, CDcmStatus *status);
/// Puts a single US value (DcmItem::putAndInsertUint16) into the dataset of `file`.
void cdcm_put_uint16(CDcmFile *file, uint16_t group, uint16_t element, uint16_t value, CDcmStatus *status);
/// Puts native Pixel Data (7FE0,0010) of `count` 16-bit samples, VR OW, into the dataset of `file`
/// (DcmItem::putAndInsertUint16Array).
void cdcm_put_pixel_data16(CDcmFile *file, const uint16_t *samples, size_t count, CDcmStatus *status);
/// Puts native Pixel Data (7FE0,0010) of `count` bytes, VR OB, into the dataset of `file`
/// (DcmItem::putAndInsertUint8Array): 8-bit samples, such as an RGB picture.
void cdcm_put_pixel_data8(CDcmFile *file, const uint8_t *bytes, size_t count, CDcmStatus *status);
/// Puts a string value into item `item_index` of the sequence (sequence_group, sequence_element) of the
/// dataset of `file`, creating the sequence and the item when missing (DcmItem::findOrCreateSequenceItem,
/// then putAndInsertString with the data dictionary's VR).
void cdcm_put_sequence_string(CDcmFile *file, uint16_t sequence_group, uint16_t sequence_element, uint32_t item_index,
                              uint16_t group, uint16_t element, const char *value, CDcmStatus *status);
/// Copies the element (group, element) of the dataset of `source` into the dataset of `target` (a deep
/// copy, sequences included), replacing any there; nothing happens when `source` lacks it.
void cdcm_copy_element(CDcmFile *target, const CDcmFile *source, uint16_t group, uint16_t element, CDcmStatus *status);

/// A structured report document being built (DSRDocument). Owned by the caller: release with cdcm_sr_free.
typedef struct CDcmSR CDcmSR;
/// A new Comprehensive SR document with an empty tree.
CDcmSR *cdcm_sr_create(CDcmStatus *status);
void cdcm_sr_free(CDcmSR *sr);
/// Adds a content item and moves the cursor to it (DSRDocumentSubTree::addContentItem, then
/// setConceptName): after the current item, or below it (as its first child) when `below`. The
/// relationship and value type are DICOM defined terms ("CONTAINS", "HAS OBS CONTEXT"; "CONTAINER",
/// "TEXT", "CODE", "NUM", "IMAGE", "UIDREF"), the relationship ignored for the root. The concept
/// name is a coded entry: code value, coding scheme designator, code meaning.
void cdcm_sr_add_item(CDcmSR *sr, const char *relationship, const char *value_type, bool below, const char *code,
                      const char *scheme, const char *meaning, CDcmStatus *status);
/// Sets the current TEXT or UIDREF item's value (DSRContentItem::setStringValue).
void cdcm_sr_set_text(CDcmSR *sr, const char *text, CDcmStatus *status);
/// Sets the current CODE item's value (DSRContentItem::setCodeValue).
void cdcm_sr_set_code(CDcmSR *sr, const char *code, const char *scheme, const char *meaning, CDcmStatus *status);
/// Sets the current NUM item's value (a decimal string) and its unit, a coded entry
/// (DSRContentItem::setNumericValue).
void cdcm_sr_set_number(CDcmSR *sr, const char *value, const char *unit_code, const char *unit_scheme,
                        const char *unit_meaning, CDcmStatus *status);
/// Sets the current IMAGE item's reference (DSRContentItem::setImageReference).
void cdcm_sr_set_image(CDcmSR *sr, const char *sop_class_uid, const char *sop_instance_uid, CDcmStatus *status);
/// Moves the cursor to the current item's parent (DSRDocumentSubTree::goUp).
void cdcm_sr_go_up(CDcmSR *sr, CDcmStatus *status);
/// Adds an instance to the Current Requested Procedure Evidence Sequence.
void cdcm_sr_add_evidence(CDcmSR *sr, const char *study_uid, const char *series_uid, const char *sop_class_uid,
                          const char *sop_instance_uid, CDcmStatus *status);
/// Writes the document into a new file (DSRDocument::write into its dataset), to be completed with
/// cdcm_put_* and written with cdcm_save. Owned by the caller: release with cdcm_close.
CDcmFile *cdcm_sr_write(CDcmSR *sr, CDcmStatus *status);

/// Writes the dataset of `file` to `path` as a Part 10 file (DcmFileFormat::saveFile, file meta
/// information created) in transfer syntax `transfer_syntax_uid`. An encapsulated transfer syntax is
/// first reached with DcmDataset::chooseRepresentation through the registered encoder
/// (cdcm_initialize_encoders); JPEG Lossless gets DJ_RPLossless(1, 0), predictor 1 as Selection
/// Value 1 requires and no point transform.
void cdcm_save(CDcmFile *file, const char *transfer_syntax_uid, const char *path, CDcmStatus *status);

#ifdef __cplusplus
}
#endif

#endif
