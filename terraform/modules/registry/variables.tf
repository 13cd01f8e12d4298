variable "prefix" {
  description = "Repository name prefix: repositories are <prefix>-<stage>."
  type        = string
  default     = "sluice"
}

variable "stages" {
  description = "The stages to create repositories for."
  type        = list(string)
  default     = ["ingest", "processor", "indexer", "loader", "monitor"]
}

variable "keep_images" {
  description = "Images kept per repository."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "Customer-managed key for the repositories (null: the AWS-managed ECR key)."
  type        = string
  default     = null
}

variable "force_delete" {
  description = "Allow destroying repositories that still hold images (test stacks only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
