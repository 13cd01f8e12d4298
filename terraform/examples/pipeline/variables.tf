variable "region" {
  description = "Region of every resource."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1 or us-gov-west-1."
  }
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sluice"
}

variable "images" {
  description = "Stage -> image pinned by digest (`make push-images`, then `make tf-images` writes them for envs/aws; copy its images.auto.tfvars.json here)."
  type        = map(string)
}

variable "lake_bucket_name" {
  description = "The lake bucket (globally unique; S3 bucket naming rules)."
  type        = string

  validation {
    # The S3 bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules").
    condition = (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_name)) &&
      !strcontains(var.lake_bucket_name, "..") &&
      !can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$", var.lake_bucket_name)) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.lake_bucket_name)) &&
      !can(regex("(-s3alias|--ol-s3|[.]mrap|--x-s3|--table-s3)$", var.lake_bucket_name))
    )
    error_message = "lake_bucket_name must follow the S3 bucket naming rules: 3 to 63 of a-z 0-9 . - , beginning and ending with a letter or digit, no \"..\", not an IP address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (two zones) for Redshift, OpenSearch and the stages that reach them."
  type        = list(string)
}

variable "warehouse_security_group_ids" {
  description = "Security groups of the warehouse."
  type        = list(string)
}

variable "search_security_group_ids" {
  description = "Security groups of the domain."
  type        = list(string)
}

variable "stage_security_group_ids" {
  description = "Security groups of the stages inside the VPC."
  type        = list(string)
}

variable "search_master_user_arn" {
  description = "IAM role mapped to the OpenSearch admin."
  type        = string
}

variable "cors_allow_origins" {
  description = "Origins of the web players (https://watch.example)."
  type        = list(string)
}

variable "origin_verify_token" {
  description = "A long random value (openssl rand -hex 32) CloudFront adds to its requests; ingest refuses any request without it."
  type        = string
  sensitive   = true
}
