// OpenJPEG marshalling: an in-memory stream, decoding, and access to the decoded components.
#include "COpenJPEG.h"

#include <openjpeg-2.5/openjpeg.h>  // Debian: libopenjp2-7-dev
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct COpjImage {
  opj_image_t *image;
};

typedef struct MemoryStream {
  const uint8_t *bytes;
  size_t size;
  size_t position;
} MemoryStream;

static OPJ_SIZE_T read_memory(void *buffer, OPJ_SIZE_T count, void *user) {
  MemoryStream *stream = (MemoryStream *)user;
  if (stream->position >= stream->size) return (OPJ_SIZE_T)-1;  // OpenJPEG's end-of-stream marker
  size_t available = stream->size - stream->position;
  size_t copied = count < available ? count : available;
  memcpy(buffer, stream->bytes + stream->position, copied);
  stream->position += copied;
  return copied;
}

static OPJ_OFF_T skip_memory(OPJ_OFF_T count, void *user) {
  MemoryStream *stream = (MemoryStream *)user;
  if (count < 0) {
    size_t back = (size_t)(-count);
    if (back > stream->position) back = stream->position;
    stream->position -= back;
    return -(OPJ_OFF_T)back;
  }
  size_t available = stream->size - stream->position;
  size_t skipped = (size_t)count < available ? (size_t)count : available;
  stream->position += skipped;
  return (OPJ_OFF_T)skipped;
}

static OPJ_BOOL seek_memory(OPJ_OFF_T position, void *user) {
  MemoryStream *stream = (MemoryStream *)user;
  if (position < 0 || (size_t)position > stream->size) return OPJ_FALSE;
  stream->position = (size_t)position;
  return OPJ_TRUE;
}

static void record_error(const char *message, void *user) {
  COpjStatus *status = (COpjStatus *)user;
  if (status == NULL) return;
  status->failed = true;
  snprintf(status->message, sizeof(status->message), "%s", message);
  size_t length = strlen(status->message);
  while (length > 0 && (status->message[length - 1] == '\n' || status->message[length - 1] == ' ')) {
    status->message[--length] = '\0';
  }
}

static void ignore_message(const char *message, void *user) {
  (void)message;
  (void)user;
}

static void fail(COpjStatus *status, const char *message) {
  status->failed = true;
  snprintf(status->message, sizeof(status->message), "%s", message);
}

const char *copj_version(void) { return opj_version(); }

COpjImage *copj_decode(const uint8_t *bytes, size_t size, COpjFormat format, uint32_t expected_width,
                       uint32_t expected_height, uint32_t threads, COpjStatus *status) {
  status->failed = false;
  status->message[0] = '\0';
  if (bytes == NULL || size == 0) {
    fail(status, "no JPEG 2000 data");
    return NULL;
  }
  COpjImage *result = calloc(1, sizeof(COpjImage));
  if (result == NULL) {
    fail(status, "out of memory");
    return NULL;
  }
  opj_codec_t *codec = opj_create_decompress(format == COPJ_JP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  opj_stream_t *stream = opj_stream_create(1 << 20, OPJ_TRUE);
  MemoryStream memory = {bytes, size, 0};
  if (codec == NULL || stream == NULL) {
    fail(status, "OpenJPEG could not create a decoder");
    goto failure;
  }
  opj_set_error_handler(codec, record_error, status);
  opj_set_warning_handler(codec, ignore_message, NULL);
  opj_set_info_handler(codec, ignore_message, NULL);
  opj_stream_set_user_data(stream, &memory, NULL);
  opj_stream_set_user_data_length(stream, size);
  opj_stream_set_read_function(stream, read_memory);
  opj_stream_set_skip_function(stream, skip_memory);
  opj_stream_set_seek_function(stream, seek_memory);

  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  if (!opj_setup_decoder(codec, &parameters)) {
    if (!status->failed) fail(status, "OpenJPEG refused the decoder parameters");
    goto failure;
  }
  if (threads > 1) opj_codec_set_threads(codec, (int)threads);
  if (!opj_read_header(stream, codec, &result->image)) {
    if (!status->failed) fail(status, "OpenJPEG could not read the codestream header");
    goto failure;
  }
  if (result->image->x1 - result->image->x0 != expected_width || result->image->y1 - result->image->y0 != expected_height) {
    fail(status, "the codestream header's image size differs from the dataset's; nothing was decoded");
    goto failure;
  }
  if (!opj_decode(codec, stream, result->image) || !opj_end_decompress(codec, stream)) {
    if (!status->failed) fail(status, "OpenJPEG could not decode the codestream");
    goto failure;
  }
  for (OPJ_UINT32 i = 0; i < result->image->numcomps; ++i) {
    if (result->image->comps[i].data == NULL) {
      fail(status, "OpenJPEG decoded no data for a component");
      goto failure;
    }
  }
  opj_stream_destroy(stream);
  opj_destroy_codec(codec);
  return result;

failure:
  if (stream != NULL) opj_stream_destroy(stream);
  if (codec != NULL) opj_destroy_codec(codec);
  copj_free(result);
  return NULL;
}

void copj_free(COpjImage *image) {
  if (image == NULL) return;
  if (image->image != NULL) opj_image_destroy(image->image);
  free(image);
}

uint32_t copj_width(const COpjImage *image) { return image->image->x1 - image->image->x0; }

uint32_t copj_height(const COpjImage *image) { return image->image->y1 - image->image->y0; }

uint32_t copj_component_count(const COpjImage *image) { return image->image->numcomps; }

bool copj_component(const COpjImage *image, uint32_t index, COpjComponent *component) {
  if (index >= image->image->numcomps) return false;
  const opj_image_comp_t *source = &image->image->comps[index];
  component->width = source->w;
  component->height = source->h;
  component->dx = source->dx;
  component->dy = source->dy;
  component->precision = source->prec;
  component->is_signed = source->sgnd != 0;
  component->data = source->data;
  return true;
}
