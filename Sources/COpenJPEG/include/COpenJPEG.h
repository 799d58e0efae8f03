// COpenJPEG: an in-memory JPEG 2000 decoder over OpenJPEG (libopenjp2) for Swift.
//
// DCMTK's free toolkit has no JPEG 2000 codec, so DICOM's JPEG 2000 frames are handed here as bytes.
// The shim only marshals: it wires a memory stream into OpenJPEG, decodes, and exposes the decoded
// components. Which bytes form a frame, and how components become pixel values, is decided in Swift.
#ifndef COPENJPEG_H
#define COPENJPEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct COpjStatus {
  bool failed;
  char message[512];  ///< OpenJPEG's last error message, or ours
} COpjStatus;

/// Container format of the bytes: a raw codestream (what DICOM requires) or a JP2 file.
typedef enum COpjFormat {
  COPJ_CODESTREAM = 0,
  COPJ_JP2 = 1,
} COpjFormat;

/// A decoded image. Owned by the caller: release with copj_free.
typedef struct COpjImage COpjImage;

/// One decoded component. `data` is borrowed from its image.
typedef struct COpjComponent {
  uint32_t width;
  uint32_t height;
  uint32_t dx;         ///< horizontal subsampling relative to the reference grid
  uint32_t dy;         ///< vertical subsampling relative to the reference grid
  uint32_t precision;  ///< bits per sample
  bool is_signed;
  const int32_t *data;  ///< width x height samples, row-major
} COpjComponent;

/// OpenJPEG's version ("2.5.0").
const char *copj_version(void);

/// Decodes `size` bytes of JPEG 2000 with `threads` worker threads (1 decodes on the calling thread).
/// Fails after reading the header, before decoding anything, when the image is not
/// `expected_width` x `expected_height`.
COpjImage *copj_decode(const uint8_t *bytes, size_t size, COpjFormat format, uint32_t expected_width,
                       uint32_t expected_height, uint32_t threads, COpjStatus *status);
void copj_free(COpjImage *image);

uint32_t copj_width(const COpjImage *image);
uint32_t copj_height(const COpjImage *image);
uint32_t copj_component_count(const COpjImage *image);
/// Describes component `index`; returns false when there is no such component.
bool copj_component(const COpjImage *image, uint32_t index, COpjComponent *component);

#ifdef __cplusplus
}
#endif

#endif
