// DCMTK marshalling: file loading, element access and pixel data access. No policy lives here.
#include "dcmtk/config/osconfig.h"  // must come first

#include "dcmtk/dcmdata/dccodec.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcrleerg.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcvr.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpeg/djencode.h"
#include "dcmtk/dcmjpeg/djrplol.h"
#include "dcmtk/oflog/oflog.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>

#include "CDCMTK.h"
#include "Internal.hpp"

namespace {

using namespace cdcm;

DcmItem *item_of(const CDcmItem *item) {
  return reinterpret_cast<DcmItem *>(const_cast<CDcmItem *>(item));
}

const CDcmItem *handle_of(DcmItem *item) { return reinterpret_cast<const CDcmItem *>(item); }

DcmDataset *dataset_of(const CDcmFile *file) { return const_cast<DcmFileFormat &>(file->format).getDataset(); }

/// The element (group, element) directly in `item`, or NULL.
DcmElement *element_of(const CDcmItem *item, uint16_t group, uint16_t element) {
  DcmElement *found = nullptr;
  if (item_of(item)->findAndGetElement(DcmTagKey(group, element), found, OFFalse).bad()) return nullptr;
  return found;
}

/// The Pixel Data element of the dataset, or NULL (with `status` set) when absent.
DcmPixelData *pixel_data_of(const CDcmFile *file, CDcmStatus *status) {
  DcmElement *element = nullptr;
  if (!check(dataset_of(file)->findAndGetElement(DCM_PixelData, element, OFFalse), status)) return nullptr;
  auto *pixels = dynamic_cast<DcmPixelData *>(element);
  if (pixels == nullptr) set_status(status, CDCM_OTHER_CONDITION, "Pixel Data is not a pixel data element");
  return pixels;
}

/// The pixel sequence of encapsulated Pixel Data, or NULL when the data is native.
DcmPixelSequence *pixel_sequence_of(DcmPixelData *pixels) {
  E_TransferSyntax representation = EXS_Unknown;
  const DcmRepresentationParameter *parameter = nullptr;
  pixels->getOriginalRepresentationKey(representation, parameter);
  if (!DcmXfer(representation).isEncapsulated()) return nullptr;
  DcmPixelSequence *sequence = nullptr;
  if (pixels->getEncapsulatedRepresentation(representation, parameter, sequence).bad()) return nullptr;
  return sequence;
}

void copy_text(char *target, size_t capacity, const char *text) {
  if (capacity == 0) return;
  std::snprintf(target, capacity, "%s", text == nullptr ? "" : text);
}

std::once_flag initialized;
std::once_flag encodersInitialized;

}  // namespace

extern "C" {

const char *cdcm_version(void) { return OFFIS_DCMTK_VERSION_STRING; }

void cdcm_initialize(void) {
  try {
    std::call_once(initialized, [] {
      // Failures reach Swift as conditions with DCMTK's text; keep its logger from repeating them.
      OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
      // Read defined-length UN elements with the VR the data dictionary gives their tag, as pydicom does.
      dcmEnableUnknownVRConversion.set(OFTrue);
      DJDecoderRegistration::registerCodecs();
      DcmRLEDecoderRegistration::registerCodecs();
    });
  } catch (...) {
    // Registration allocates only; a failure leaves the codecs unregistered, which decoding reports.
  }
}

bool cdcm_dictionary_loaded(void) { return dcmDataDict.isDictionaryLoaded(); }

CDcmFile *cdcm_open(const char *path, CDcmStatus *status) {
  CDcmFile *result = nullptr;
  guard(status, [&] {
    auto file = new CDcmFile();
    OFCondition condition = file->format.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange,
                                                  DCM_MaxReadLength, ERM_fileOnly);
    if (!check(condition, status)) {
      delete file;
      return;
    }
    result = file;
  });
  return result;
}

void cdcm_close(CDcmFile *file) { delete file; }

const CDcmItem *cdcm_dataset(const CDcmFile *file) { return handle_of(dataset_of(file)); }

const CDcmItem *cdcm_meta_information(const CDcmFile *file) {
  return handle_of(const_cast<DcmFileFormat &>(file->format).getMetaInfo());
}

const CDcmItem *cdcm_sequence_item(const CDcmItem *item, uint16_t group, uint16_t element, uint32_t index) {
  try {
    DcmItem *found = nullptr;
    if (item_of(item)->findAndGetSequenceItem(DcmTagKey(group, element), found, static_cast<int>(index)).bad()) {
      return nullptr;
    }
    return handle_of(found);
  } catch (...) {
    return nullptr;
  }
}

uint32_t cdcm_sequence_count(const CDcmItem *item, uint16_t group, uint16_t element) {
  try {
    DcmSequenceOfItems *sequence = nullptr;
    if (item_of(item)->findAndGetSequence(DcmTagKey(group, element), sequence).bad() || sequence == nullptr) {
      return 0;
    }
    return static_cast<uint32_t>(sequence->card());
  } catch (...) {
    return 0;
  }
}

size_t cdcm_get_string(const CDcmItem *item, uint16_t group, uint16_t element, char *buffer, size_t capacity,
                       CDcmStatus *status) {
  size_t length = 0;
  guard(status, [&] {
    OFString value;
    if (!check(item_of(item)->findAndGetOFStringArray(DcmTagKey(group, element), value), status)) return;
    length = value.length();
    if (capacity > 0) {
      size_t copied = length < capacity - 1 ? length : capacity - 1;
      std::memcpy(buffer, value.c_str(), copied);
      buffer[copied] = '\0';
    }
  });
  return length;
}

double cdcm_get_float64(const CDcmItem *item, uint16_t group, uint16_t element, uint32_t index,
                        CDcmStatus *status) {
  double value = 0;
  guard(status, [&] {
    DcmElement *found = nullptr;
    if (!check(item_of(item)->findAndGetElement(DcmTagKey(group, element), found, OFFalse), status)) return;
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

uint32_t cdcm_value_count(const CDcmItem *item, uint16_t group, uint16_t element) {
  try {
    DcmElement *found = element_of(item, group, element);
    return found == nullptr ? 0 : static_cast<uint32_t>(found->getVM());
  } catch (...) {
    return 0;
  }
}

bool cdcm_contains(const CDcmItem *item, uint16_t group, uint16_t element) {
  try {
    return item_of(item)->tagExists(DcmTagKey(group, element), OFFalse);
  } catch (...) {
    return false;
  }
}

size_t cdcm_get_bytes(const CDcmItem *item, uint16_t group, uint16_t element, bool little_endian, void *buffer,
                      size_t capacity, CDcmStatus *status) {
  size_t length = 0;
  guard(status, [&] {
    DcmElement *found = nullptr;
    if (!check(item_of(item)->findAndGetElement(DcmTagKey(group, element), found, OFFalse), status)) return;
    length = found->getLengthField();
    const size_t copied = length < capacity ? length : capacity;
    if (copied == 0 || buffer == nullptr) return;
    check(found->getPartialValue(buffer, 0, static_cast<Uint32>(copied), nullptr,
                                 little_endian ? EBO_LittleEndian : EBO_BigEndian),
          status);
  });
  return length;
}

void cdcm_transfer_syntax(const CDcmFile *file, CDcmTransferSyntax *out) {
  try {
    const E_TransferSyntax original = dataset_of(file)->getOriginalXfer();
    DcmXfer xfer(original);
    out->known = original != EXS_Unknown;
    copy_text(out->uid, sizeof(out->uid), out->known ? xfer.getXferID() : "");
    copy_text(out->name, sizeof(out->name), xfer.getXferName());
    out->encapsulated = xfer.isEncapsulated();
    out->big_endian = xfer.getByteOrder() == EBO_BigEndian;
    out->deflated = xfer.getStreamCompression() == ESC_zlib;
    out->codec_registered =
        out->known && (!out->encapsulated || DcmCodecList::canChangeCoding(original, EXS_LittleEndianExplicit));
  } catch (...) {
    out->known = false;
    out->uid[0] = '\0';
    copy_text(out->name, sizeof(out->name), "unknown");
  }
}

bool cdcm_transfer_syntax_known(const char *uid) {
  try {
    return DcmXfer(uid).getXfer() != EXS_Unknown;
  } catch (...) {
    return false;
  }
}

bool cdcm_is_image_sop_class(const char *uid) {
  for (int i = 0; i < numberOfDcmImageSOPClassUIDs; ++i) {
    if (dcmImageSOPClassUIDs[i] != nullptr && std::strcmp(dcmImageSOPClassUIDs[i], uid) == 0) return true;
  }
  return false;
}

const char *cdcm_uid_name(const char *uid) { return dcmFindNameOfUID(uid, nullptr); }

void cdcm_pixel_data_info(const CDcmFile *file, CDcmPixelDataInfo *info, CDcmStatus *status) {
  guard(status, [&] {
    DcmDataset *dataset = dataset_of(file);
    info->present = false;
    info->encapsulated = false;
    info->length = 0;
    info->items = 0;
    info->words = false;
    info->float_present = dataset->tagExists(DCM_FloatPixelData, OFFalse) ||
                          dataset->tagExists(DCM_DoubleFloatPixelData, OFFalse);
    if (!dataset->tagExists(DCM_PixelData, OFFalse)) return;
    DcmPixelData *pixels = pixel_data_of(file, status);
    if (pixels == nullptr) return;
    info->present = true;
    info->words = pixels->getVR() == EVR_OW;
    if (DcmPixelSequence *sequence = pixel_sequence_of(pixels)) {
      info->encapsulated = true;
      info->items = static_cast<uint32_t>(sequence->card());
    } else {
      info->length = pixels->getLengthField();
    }
  });
}

void cdcm_read_native_pixels(const CDcmFile *file, uint32_t offset, uint32_t length, void *buffer,
                             CDcmStatus *status) {
  guard(status, [&] {
    DcmPixelData *pixels = pixel_data_of(file, status);
    if (pixels == nullptr) return;
    const E_ByteOrder stored = DcmXfer(dataset_of(file)->getOriginalXfer()).getByteOrder();
    check(pixels->getPartialValue(buffer, offset, length, nullptr,
                                  stored == EBO_BigEndian ? EBO_BigEndian : EBO_LittleEndian),
          status);
  });
}

size_t cdcm_pixel_item(const CDcmFile *file, uint32_t index, const uint8_t **bytes, CDcmStatus *status) {
  size_t length = 0;
  *bytes = nullptr;
  guard(status, [&] {
    DcmPixelData *pixels = pixel_data_of(file, status);
    if (pixels == nullptr) return;
    DcmPixelSequence *sequence = pixel_sequence_of(pixels);
    if (sequence == nullptr) {
      set_status(status, CDCM_OTHER_CONDITION, "Pixel Data is not encapsulated");
      return;
    }
    DcmPixelItem *item = nullptr;
    if (!check(sequence->getItem(item, index), status)) return;
    length = item->getLength();
    if (length == 0) return;
    Uint8 *data = nullptr;
    if (!check(item->getUint8Array(data), status)) return;
    *bytes = data;
  });
  return length;
}

uint32_t cdcm_uncompressed_frame_size(const CDcmFile *file, CDcmStatus *status) {
  Uint32 size = 0;
  guard(status, [&] {
    DcmPixelData *pixels = pixel_data_of(file, status);
    if (pixels == nullptr) return;
    check(pixels->getUncompressedFrameSize(dataset_of(file), size), status);
  });
  return size;
}

void cdcm_decode_frame(const CDcmFile *file, uint32_t frame, void *buffer, size_t capacity, char *color_model,
                       size_t color_model_capacity, CDcmStatus *status) {
  guard(status, [&] {
    copy_text(color_model, color_model_capacity, "");
    DcmPixelData *pixels = pixel_data_of(file, status);
    if (pixels == nullptr) return;
    Uint32 start_fragment = 0;
    OFString model;
    if (!check(pixels->getUncompressedFrame(dataset_of(file), frame, start_fragment, buffer,
                                            static_cast<Uint32>(capacity), model),
               status)) {
      return;
    }
    copy_text(color_model, color_model_capacity, model.c_str());
  });
}

void cdcm_save_encapsulated(const CDcmFile *source, const char *transfer_syntax_uid, const uint8_t *const *frames,
                            const size_t *sizes, uint32_t count, const char *path, CDcmStatus *status) {
  guard(status, [&] {
    const E_TransferSyntax target = DcmXfer(transfer_syntax_uid).getXfer();
    if (target == EXS_Unknown || !DcmXfer(target).isEncapsulated()) {
      set_status(status, CDCM_OTHER_CONDITION, "not an encapsulated transfer syntax known to DCMTK");
      return;
    }
    DcmFileFormat copy(const_cast<DcmFileFormat &>(source->format));
    DcmDataset *dataset = copy.getDataset();
    if (!check(dataset->loadAllDataIntoMemory(), status)) return;
    auto *sequence = new DcmPixelSequence(DCM_PixelSequenceTag);
    sequence->insert(new DcmPixelItem(DCM_PixelItemTag));  // empty Basic Offset Table
    for (uint32_t i = 0; i < count; ++i) {
      auto *fragment = new DcmPixelItem(DCM_PixelItemTag);
      if (!check(fragment->putUint8Array(frames[i], static_cast<unsigned long>(sizes[i])), status)) {
        delete fragment;
        delete sequence;
        return;
      }
      sequence->insert(fragment);
    }
    auto *pixels = new DcmPixelData(DCM_PixelData);
    pixels->putOriginalRepresentation(target, nullptr, sequence);
    if (!check(dataset->insert(pixels, OFTrue), status)) {
      delete pixels;
      return;
    }
    check(copy.saveFile(OFFilename(path), target, EET_UndefinedLength, EGL_recalcGL, EPD_noChange, 0, 0,
                        EWM_updateMeta),
          status);
  });
}

void cdcm_initialize_encoders(void) {
  cdcm_initialize();
  try {
    std::call_once(encodersInitialized, [] {
      DJEncoderRegistration::registerCodecs();
      DcmRLEEncoderRegistration::registerCodecs();
    });
  } catch (...) {
    // Registration allocates only; a failure leaves the encoders unregistered, which cdcm_save reports.
  }
}

CDcmFile *cdcm_create(CDcmStatus *status) {
  CDcmFile *result = nullptr;
  guard(status, [&] { result = new CDcmFile(); });
  return result;
}

void cdcm_put_string(CDcmFile *file, uint16_t group, uint16_t element, const char *value, CDcmStatus *status) {
  guard(status, [&] { check(file->format.getDataset()->putAndInsertString(DcmTagKey(group, element), value), status); });
}

void cdcm_put_uint16(CDcmFile *file, uint16_t group, uint16_t element, uint16_t value, CDcmStatus *status) {
  guard(status, [&] { check(file->format.getDataset()->putAndInsertUint16(DcmTagKey(group, element), value), status); });
}

void cdcm_put_pixel_data16(CDcmFile *file, const uint16_t *samples, size_t count, CDcmStatus *status) {
  guard(status, [&] {
    check(file->format.getDataset()->putAndInsertUint16Array(DCM_PixelData, samples, static_cast<unsigned long>(count)),
          status);
  });
}

void cdcm_save(CDcmFile *file, const char *transfer_syntax_uid, const char *path, CDcmStatus *status) {
  guard(status, [&] {
    const E_TransferSyntax target = DcmXfer(transfer_syntax_uid).getXfer();
    if (target == EXS_Unknown) {
      set_status(status, CDCM_OTHER_CONDITION, "transfer syntax unknown to DCMTK");
      return;
    }
    DcmDataset *dataset = file->format.getDataset();
    if (DcmXfer(target).isEncapsulated()) {
      const DJ_RPLossless lossless(1, 0);
      const bool jpegLossless = target == EXS_JPEGProcess14SV1 || target == EXS_JPEGProcess14;
      if (!check(dataset->chooseRepresentation(target, jpegLossless ? &lossless : nullptr), status)) return;
      if (!dataset->canWriteXfer(target)) {
        set_status(status, CDCM_CANNOT_DECODE, "no registered encoder reached the transfer syntax");
        return;
      }
    }
    check(file->format.saveFile(OFFilename(path), target), status);
  });
}

}  // extern "C"
