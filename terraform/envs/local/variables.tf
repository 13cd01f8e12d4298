variable "aws_endpoint" {
  description = "The AWS API emulator's URL (moto in server mode)."
  type        = string
  default     = "http://127.0.0.1:5000"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sluice"
}

variable "lake_bucket_name" {
  description = "The lake bucket."
  type        = string
  default     = "sluice-lake"
}

variable "images" {
  description = "Stage -> image pinned by digest. The emulator does not run them; the local runtime does."
  type        = map(string)
  default = {
    ingest    = "000000000000.dkr.ecr.eu-west-1.amazonaws.com/sluice-ingest@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    processor = "000000000000.dkr.ecr.eu-west-1.amazonaws.com/sluice-processor@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    indexer   = "000000000000.dkr.ecr.eu-west-1.amazonaws.com/sluice-indexer@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    loader    = "000000000000.dkr.ecr.eu-west-1.amazonaws.com/sluice-loader@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    monitor   = "000000000000.dkr.ecr.eu-west-1.amazonaws.com/sluice-monitor@sha256:0000000000000000000000000000000000000000000000000000000000000000"
  }
}

variable "warehouse_url" {
  description = "The embedded PostgreSQL's URL, for the loader's environment."
  type        = string
  default     = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
}

variable "opensearch_url" {
  description = "An OpenSearch cluster to use (null: the search leg is off)."
  type        = string
  default     = null
}

variable "health_window_seconds" {
  description = "The monitor's tumbling window."
  type        = number
  default     = 60
}

variable "create_event_source_mappings" {
  description = "Create the mappings in the emulator (true for the apply test; `sluice local up` sets false and runs them itself)."
  type        = bool
  default     = true
}

variable "create_realtime_log_config" {
  description = "Create the CloudFront real-time log configuration (false: the emulator has no real-time log API; the stream, its key and CloudFront's role are made, and the local CDN stand-in writes the lines)."
  type        = bool
  default     = false
}

variable "cdn_logs_sampling_rate" {
  description = "The percentage of media requests the local CDN stand-in logs (1..100), which the processor is told (without a configuration to ask)."
  type        = number
  default     = 100
}
