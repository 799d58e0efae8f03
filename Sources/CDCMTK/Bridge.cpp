// DCMTK marshalling: file loading, element access and frame decoding. No policy lives here.
#include "dcmtk/config/osconfig.h"  // must come first

#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmimage/diregist.h"
#include "dcmtk/dcmimgle/dcmimage.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>

#include "CDCMTK.h"

struct CDcmFile {
  DcmFileFormat format;
};

namespace {

void set_status(CDcmStatus *status, CDcmFailure failure, const char *message) noexcept {
  if (status == nullptr) return;
  status->failure = failure;
  std::snprintf(status->message, sizeof(status->message), "%s", message);
}

void clear_status(CDcmStatus *status) noexcept { set_status(status, CDCM_OK, ""); }

CDcmFailure failure_of(const OFCondition &condition) {
  if (condition == EC_FileMetaInfoHeaderMissing) return CDCM_META_HEADER_MISSING;
  if (condition == EC_StreamNotifyClient || condition == EC_EndOfStream) return CDCM_PREMATURE_END;
  if (condition == EC_TagNotFound) return CDCM_TAG_NOT_FOUND;
  if (condition == EC_CannotChangeRepresentation || condition == EC_UnsupportedEncoding) {
    return CDCM_CANNOT_DECODE;
  }
  return CDCM_OTHER_CONDITION;
}

/// Reports a failed condition; returns whether the condition was good.
bool check(const OFCondition &condition, CDcmStatus *status) noexcept {
  if (condition.good()) return true;
  set_status(status, failure_of(condition), condition.text());
  return false;
}

template <typename Body>
void guard(CDcmStatus *status, Body &&body) noexcept {
  clear_status(status);
  try {
    body();
  } catch (const std::exception &error) {
    set_status(status, CDCM_EXCEPTION, error.what());
  } catch (...) {
    set_status(status, CDCM_EXCEPTION, "unknown C++ exception in DCMTK bridge");
  }
}

DcmItem *item_for(const CDcmFile *file, uint16_t group) {
  auto &format = const_cast<DcmFileFormat &>(file->format);
  if (group == 0x0002) return format.getMetaInfo();
  return format.getDataset();
}

std::once_flag initialized;

}  // namespace

extern "C" {

const char *cdcm_version(void) { return OFFIS_DCMTK_VERSION_STRING; }

void cdcm_initialize(void) {
  try {
    std::call_once(initialized, [] {
      // Failures reach Swift as conditions with DCMTK's text; keep its logger from repeating them.
      OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
      DJDecoderRegistration::registerCodecs();
      DJLSDecoderRegistration::registerCodecs();
      DcmRLEDecoderRegistration::registerCodecs();
    });
  } catch (...) {
    // Registration allocates only; a failure leaves the codecs unregistered, which decoding reports.
  }
}

bool cdcm_dictionary_loaded(void) { return dcmDataDict.isDictionaryLoaded(); }

CDcmFile *cdcm_open(const char *path, bool require_meta_header, CDcmStatus *status) {
  CDcmFile *result = nullptr;
  guard(status, [&] {
    auto file = new CDcmFile();
    auto mode = require_meta_header ? ERM_fileOnly : ERM_autoDetect;
    OFCondition condition = file->format.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange,
                                                  DCM_MaxReadLength, mode);
    if (!check(condition, status)) {
      delete file;
      return;
    }
    result = file;
  });
  return result;
}

void cdcm_close(CDcmFile *file) { delete file; }

size_t cdcm_get_string(const CDcmFile *file, uint16_t group, uint16_t element, char *buffer, size_t capacity,
                       CDcmStatus *status) {
  size_t length = 0;
  guard(status, [&] {
    OFString value;
    if (!check(item_for(file, group)->findAndGetOFStringArray(DcmTagKey(group, element), value), status)) return;
    length = value.length();
    if (capacity > 0) {
      size_t copied = length < capacity - 1 ? length : capacity - 1;
      std::memcpy(buffer, value.c_str(), copied);
      buffer[copied] = '\0';
    }
  });
  return length;
}

double cdcm_get_float64(const CDcmFile *file, uint16_t group, uint16_t element, uint32_t index,
                        CDcmStatus *status) {
  double value = 0;
  guard(status, [&] {
    DcmElement *found = nullptr;
    if (!check(item_for(file, group)->findAndGetElement(DcmTagKey(group, element), found), status)) return;
    const unsigned long position = index;
    switch (found->ident()) {
      case EVR_US: {
        Uint16 number = 0;
        if (check(found->getUint16(number, position), status)) value = number;
        break;
      }
      case EVR_SS: {
        Sint16 number = 0;
        if (check(found->getSint16(number, position), status)) value = number;
        break;
      }
      case EVR_UL: {
        Uint32 number = 0;
        if (check(found->getUint32(number, position), status)) value = number;
        break;
      }
      case EVR_SL:
      case EVR_IS: {
        Sint32 number = 0;
        if (check(found->getSint32(number, position), status)) value = number;
        break;
      }
      case EVR_FL: {
        Float32 number = 0;
        if (check(found->getFloat32(number, position), status)) value = number;
        break;
      }
      default:  // FD, DS, and anything DCMTK can read as a double
        check(found->getFloat64(value, position), status);
    }
  });
  return value;
}

uint32_t cdcm_value_count(const CDcmFile *file, uint16_t group, uint16_t element) {
  try {
    DcmElement *found = nullptr;
    if (item_for(file, group)->findAndGetElement(DcmTagKey(group, element), found).bad() || found == nullptr) {
      return 0;
    }
    return static_cast<uint32_t>(found->getVM());
  } catch (...) {
    return 0;
  }
}

void cdcm_decode_frame(const CDcmFile *file, uint32_t frame, CDcmFrameInfo *info, float *out, size_t count,
                       CDcmStatus *status) {
  guard(status, [&] {
    auto *dataset = const_cast<DcmFileFormat &>(file->format).getDataset();
    const unsigned long flags = CIF_UsePartialAccessToPixelData | CIF_IgnoreModalityTransformation;
    DicomImage image(dataset, dataset->getOriginalXfer(), flags, frame, 1);
    if (image.getStatus() != EIS_Normal) {
      set_status(status, CDCM_IMAGE_STATUS, DicomImage::getString(image.getStatus()));
      return;
    }
    const DiPixel *pixels = image.getInterData();
    if (pixels == nullptr) {
      set_status(status, CDCM_IMAGE_STATUS, "DicomImage produced no pixel data");
      return;
    }
    info->columns = static_cast<uint32_t>(image.getWidth());
    info->rows = static_cast<uint32_t>(image.getHeight());
    info->frames = static_cast<uint32_t>(image.getNumberOfFrames());
    info->bits = image.getDepth();
    const EP_Representation representation = pixels->getRepresentation();
    info->is_signed = representation == EPR_Sint8 || representation == EPR_Sint16 || representation == EPR_Sint32;
    if (out == nullptr) return;
    const size_t available = static_cast<size_t>(pixels->getCount());
    const size_t needed = static_cast<size_t>(info->columns) * info->rows;
    if (count < needed || available < needed) {
      set_status(status, CDCM_EXCEPTION, "frame buffer size mismatch");
      return;
    }
    const void *data = pixels->getData();
    auto copy = [&](auto typed) {
      for (size_t i = 0; i < needed; ++i) out[i] = static_cast<float>(typed[i]);
    };
    switch (representation) {
      case EPR_Uint8: copy(static_cast<const Uint8 *>(data)); break;
      case EPR_Sint8: copy(static_cast<const Sint8 *>(data)); break;
      case EPR_Uint16: copy(static_cast<const Uint16 *>(data)); break;
      case EPR_Sint16: copy(static_cast<const Sint16 *>(data)); break;
      case EPR_Uint32: copy(static_cast<const Uint32 *>(data)); break;
      case EPR_Sint32: copy(static_cast<const Sint32 *>(data)); break;
    }
  });
}

}  // extern "C"
