// CDCMTK: a C surface over DCMTK for Swift.
//
// Every function is noexcept and reports failures through the caller-owned CDcmStatus, carrying
// DCMTK's own condition text. The bridge only marshals: which files to accept and what errors mean
// is decided in Swift.
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
  CDCM_IMAGE_STATUS,         ///< DicomImage refused the pixel data (message holds its status text)
  CDCM_OTHER_CONDITION,      ///< any other DCMTK condition
  CDCM_EXCEPTION,            ///< a C++ exception was caught at the boundary
} CDcmFailure;

typedef struct CDcmStatus {
  CDcmFailure failure;
  char message[1024];
} CDcmStatus;

typedef struct CDcmFile CDcmFile;

/// Representation of decoded stored values, as DCMTK's DiPixel reports it.
typedef struct CDcmFrameInfo {
  uint32_t columns;
  uint32_t rows;
  uint32_t frames;     ///< frames in the object
  int32_t bits;        ///< effective depth of the decoded values
  bool is_signed;
} CDcmFrameInfo;

/// DCMTK's version string ("3.6.7").
const char *cdcm_version(void);
/// Registers the JPEG, JPEG-LS and RLE decoders and the colour image plug-in exactly once (thread-safe).
void cdcm_initialize(void);
/// Whether DCMTK's data dictionary is loaded; without it no tag names or VRs can be resolved.
bool cdcm_dictionary_loaded(void);

/// Reads a whole DICOM file. `require_meta_header` refuses files without the Part 10 preamble.
CDcmFile *cdcm_open(const char *path, bool require_meta_header, CDcmStatus *status);
void cdcm_close(CDcmFile *file);

/// Copies the value of a string-valued element of the dataset (or of the file meta information for
/// group 0x0002) into `buffer`, NUL-terminated and cut at `capacity`. Returns the full length.
size_t cdcm_get_string(const CDcmFile *file, uint16_t group, uint16_t element, char *buffer, size_t capacity,
                       CDcmStatus *status);
/// Reads value `index` of a numeric element (any numeric VR, or DS/IS) as a double.
double cdcm_get_float64(const CDcmFile *file, uint16_t group, uint16_t element, uint32_t index,
                        CDcmStatus *status);
/// The value multiplicity of an element, 0 when absent.
uint32_t cdcm_value_count(const CDcmFile *file, uint16_t group, uint16_t element);

/// Decodes frame `frame` through DicomImage and copies its stored values (no modality transform,
/// original polarity) into `out`, which must hold columns x rows floats. Call with out = NULL to only
/// fill `info`.
void cdcm_decode_frame(const CDcmFile *file, uint32_t frame, CDcmFrameInfo *info, float *out, size_t count,
                       CDcmStatus *status);

#ifdef __cplusplus
}
#endif

#endif
